import AdminAPI
import RefdeskCore
import RefdeskStore
import XMPPComponent

/// Queues, their assignments and the desk's status, for the admin API.
extension Router {
    func queueInfo(_ stored: StoredQueue) -> QueueInfo {
        let record = stored.record
        return QueueInfo(
            id: stored.id, name: record.name, routing: record.routingPolicy == .leastBusy ? .leastBusy : .ringAll,
            chatLimit: record.chatLimit, offlineReply: record.offlineReply, keepsTranscripts: record.keepsTranscripts,
            openingHours: record.openingHours, timeZone: record.timeZone, online: switchboard.isOnline(QueueName(record.name))
        )
    }

    public func queues() async throws -> [QueueInfo] {
        try await database.read { try $0.storedQueues() }.map(queueInfo)
    }

    public func queue(_ reference: String) async throws -> QueueInfo {
        queueInfo(try await storedQueue(reference))
    }

    /// A queue by its numeric id when `reference` is all digits (as LibraryH3lp's clients address queues), else by
    /// name. Queue names cannot be all digits, so neither form can shadow the other.
    func storedQueue(_ reference: String) async throws -> StoredQueue {
        let id = reference.allSatisfy({ ("0"..."9").contains($0) }) ? Int64(reference) : nil
        let stored = try await database.read { connection in
            if let id { return try connection.storedQueue(id: id) }
            return try connection.storedQueue(named: reference)
        }
        guard let stored else {
            throw AdminError.notFound(id != nil ? "No queue with id \(reference)" : "No queue named \(reference)")
        }
        return stored
    }

    public func createQueue(_ settings: QueueSettings) async throws -> QueueInfo {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let record = QueueRecord(
            name: settings.name, routingPolicy: settings.routing == .leastBusy ? .leastBusy : .ringAll, chatLimit: settings.chatLimit,
            offlineReply: settings.offlineReply, keepsTranscripts: settings.keepsTranscripts, openingHours: settings.openingHours,
            timeZone: settings.timeZone
        )
        let name = record.name
        if try await database.read({ try $0.storedQueue(named: name) }) != nil {
            throw AdminError.conflict("A queue named \(record.name) already exists")
        }
        let change = ConfigurationChange.putQueue(try coreQueue(record))
        try check(change)
        try await write { try $0.insertQueue(record) }
        try await apply(change)
        return try await queue(record.name)
    }

    public func updateQueue(_ reference: String, _ update: QueueUpdate) async throws -> QueueInfo {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        var record = try await storedQueue(reference).record
        if let routing = update.routing { record.routingPolicy = routing == .leastBusy ? .leastBusy : .ringAll }
        if let limit = update.chatLimit { record.chatLimit = limit }
        if let reply = update.offlineReply { record.offlineReply = reply }
        if let keeps = update.keepsTranscripts { record.keepsTranscripts = keeps }
        if let hours = update.openingHours { record.openingHours = hours.isEmpty ? nil : hours }
        if let zone = update.timeZone { record.timeZone = zone.isEmpty ? nil : zone }
        if record.routingPolicy == .leastBusy, record.chatLimit < 1 {
            throw AdminError.badRequest("A least-busy queue needs a chatLimit of at least 1")
        }
        let change = ConfigurationChange.putQueue(try coreQueue(record))
        try check(change)
        let saved = record
        try await write { try $0.updateQueue(saved) }
        try await apply(change)
        return try await queue(record.name)
    }

    /// Deletes a queue without gateways. Its assignments go with it; the history stays.
    public func deleteQueue(_ reference: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let name = try await storedQueue(reference).record.name
        let count = gateways.values.filter { $0.queueName == name }.count
        if count > 0 {
            throw AdminError.conflict("Queue \(name) still has \(count) gateway(s); delete them first")
        }
        let queueName = QueueName(name)
        let assigned = switchboard.configuration.assignments.filter { $0.queue == queueName }
        try await write { _ = try $0.deleteQueue(name: name) }
        // The rules have no "remove queue"; without assignments or gateways the queue is inert until the next start.
        for assignment in assigned {
            try await apply(.unassign(assignment.operator, queue: queueName))
        }
    }

    /// The rules' view of a stored queue. Each setting is checked on its own, whatever else is given: a time zone
    /// the system's tz database does not know is refused even without opening hours, so a later change of the
    /// hours is never blamed for it.
    func coreQueue(_ record: QueueRecord) throws -> QueueConfiguration {
        if let zone = record.timeZone, !SystemTimeZones().knows(zone) {
            throw AdminError.badRequest(
                "Unknown time zone \"\(zone.count <= 40 ? zone : String(zone.prefix(40)) + "…")\"; use a name from the tz database, such as America/New_York or Europe/Berlin"
            )
        }
        var hours: OpeningHours?
        if let text = record.openingHours, !text.isEmpty {
            do {
                hours = try OpeningHours(parsing: text, timeZone: record.timeZone ?? switchboard.configuration.timeZone)
            } catch {
                throw AdminError.badRequest("Opening hours: \(error.message)")
            }
        }
        return QueueConfiguration(
            name: QueueName(record.name),
            routing: record.routingPolicy == .leastBusy ? .leastBusy(limit: max(1, record.chatLimit)) : .ringAll,
            offlineReply: record.offlineReply.isEmpty ? nil : record.offlineReply,
            openingHours: hours,
            keepsTranscripts: record.keepsTranscripts
        )
    }

    // MARK: Assignments

    public func assignments(queue reference: String) async throws -> [String] {
        let name = try await storedQueue(reference).record.name
        return try await database.read { try $0.assignments(queueName: name).map(\.operatorName) }
    }

    public func assign(user: String, queue reference: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let queueName = try await storedQueue(reference).record.name
        try await requireUser(user)
        let change = ConfigurationChange.assign(OperatorName(user), queue: QueueName(queueName))
        try check(change)
        try await write { try $0.insertAssignment(AssignmentRecord(operatorName: user, queueName: queueName)) }
        try await apply(change)
        subscribe(operator: OperatorName(user))
    }

    public func unassign(user: String, queue reference: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let queueName = try await storedQueue(reference).record.name
        let removed = try await write { try $0.deleteAssignment(AssignmentRecord(operatorName: user, queueName: queueName)) }
        guard removed else { throw AdminError.notFound("\(user) is not assigned to queue \(queueName)") }
        try await apply(.unassign(OperatorName(user), queue: QueueName(queueName)))
    }

    // MARK: The desk at a glance

    public func deskStatus() async throws -> DeskStatus {
        let loaded = try await database.read { connection in
            (queues: try connection.storedQueues(), outbox: try connection.outboxDepthByProtocol())
        }
        let configuration = switchboard.configuration
        let open = switchboard.openConversations
        let inbox = switchboard.offlineInbox
        let queues = loaded.queues.map { stored in
            let name = QueueName(stored.record.name)
            let staffing = configuration.assignments.filter { $0.queue == name }.map(\.operator)
                .filter { switchboard.isRoutable($0) }.map(\.rawValue).sorted()
            return DeskStatus.Queue(
                id: stored.id, name: stored.record.name, online: switchboard.isOnline(name), staffedBy: staffing,
                waitingChats: open.filter { $0.queue == name && $0.operator == nil }.count,
                offlineMessages: inbox.filter { $0.queue == name }.count
            )
        }
        return DeskStatus(
            queues: queues, gateways: gatewaysWithStatus().map(Self.statusInfo), outbox: loaded.outbox,
            xmppConnected: xmpp.map { $0.connection.isConnected }
        )
    }
}
