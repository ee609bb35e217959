import AdminAPI
import BridgeProtocol
import BridgeTransport
import Logging
import RefdeskCore
import RefdeskStore
import XMPP
import XMPPComponent

/// The admin API's view of the router.
///
/// Every change is checked by the switchboard's rules first (unknown names, the loop guard), written to the
/// database, and then applied to the running switchboard through `.configure`, whose actions are committed and
/// carried out like any other event's: a gateway added to an online queue is attached to its bridge and comes
/// online at once; a deleted one is signed off and detached. Changes are serialised with the bridges' batches,
/// so a check and the write it allows are never interleaved with another change.
extension Router: AdminBackend {
    // MARK: Accounts

    public func account(named name: String) async throws -> AdminAccount? {
        try await database.read { connection in
            try connection.queryFirst("SELECT name, role, password_hash FROM operators WHERE name = ?", name) { row in
                AdminAccount(
                    name: try row.string(0), role: AdminRole(rawValue: try row.string(1)) ?? .operator, passwordHash: row.optionalString(2)
                )
            }
        }
    }

    // MARK: Queues

    private static let queueColumns =
        "id, name, routing_policy, chat_limit, offline_reply, keeps_transcripts, opening_hours, time_zone"

    private func queueInfo(_ row: QueueRow) -> QueueInfo {
        QueueInfo(
            id: row.id, name: row.record.name, routing: row.record.routingPolicy == .leastBusy ? .leastBusy : .ringAll,
            chatLimit: row.record.chatLimit, offlineReply: row.record.offlineReply, keepsTranscripts: row.record.keepsTranscripts,
            openingHours: row.record.openingHours, timeZone: row.record.timeZone, online: switchboard.isOnline(QueueName(row.record.name))
        )
    }

    public func queues() async throws -> [QueueInfo] {
        let rows = try await database.read { connection in
            try connection.query("SELECT \(Self.queueColumns) FROM queues ORDER BY name", row: QueueRow.init)
        }
        return rows.map(queueInfo)
    }

    public func queue(_ reference: String) async throws -> QueueInfo {
        queueInfo(try await queueRow(reference))
    }

    /// A queue by name, or by its numeric id when no queue has that name.
    private func queueRow(_ reference: String) async throws -> QueueRow {
        let row = try await database.read { connection in
            try connection.queryFirst("SELECT \(Self.queueColumns) FROM queues WHERE name = ?", reference, row: QueueRow.init)
                ?? Int64(reference).flatMap { id in
                    try connection.queryFirst("SELECT \(Self.queueColumns) FROM queues WHERE id = ?", id, row: QueueRow.init)
                }
        }
        guard let row else { throw AdminError.notFound("No queue named \(reference)") }
        return row
    }

    public func createQueue(_ settings: QueueSettings) async throws -> QueueInfo {
        await acquireIngest()
        defer { releaseIngest() }
        let record = QueueRecord(
            name: settings.name, routingPolicy: settings.routing == .leastBusy ? .leastBusy : .ringAll, chatLimit: settings.chatLimit,
            offlineReply: settings.offlineReply, keepsTranscripts: settings.keepsTranscripts, openingHours: settings.openingHours,
            timeZone: settings.timeZone
        )
        let exists = try await database.read { try $0.queryFirst("SELECT 1 FROM queues WHERE name = ?", record.name) { _ in true } } ?? false
        if exists { throw AdminError.conflict("A queue named \(record.name) already exists") }
        let change = ConfigurationChange.putQueue(try coreQueue(record))
        try check(change)
        try await write { try $0.insertQueue(record) }
        try await apply(change)
        return try await queue(record.name)
    }

    public func updateQueue(_ reference: String, _ update: QueueUpdate) async throws -> QueueInfo {
        await acquireIngest()
        defer { releaseIngest() }
        var record = try await queueRow(reference).record
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
        let name = try await queueRow(reference).record.name
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

    private func coreQueue(_ record: QueueRecord) throws -> QueueConfiguration {
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

    // MARK: Gateways

    public func gateways(queue reference: String) async throws -> [GatewayInfo] {
        let name = try await queueRow(reference).record.name
        return gateways.values.filter { $0.queueName == name }.sorted { $0.id < $1.id }.map(Self.gatewayInfo)
    }

    private static func gatewayInfo(_ record: GatewayRecord) -> GatewayInfo {
        GatewayInfo(id: record.id, queue: record.queueName, protocolName: record.network, username: record.username, secret: record.secret)
    }

    /// The protocol names the API accepts: the bridges' names, with `sms` as another name for `twilio`.
    private func protocolName(_ name: String) throws -> String {
        let canonical = GatewayProtocol(name: name).name
        guard Self.knownProtocols.contains(canonical) else {
            let known = Self.knownProtocols.subtracting(["test"]).sorted().joined(separator: " or ")
            throw AdminError.badRequest("Unknown protocol \(name); use \(known)")
        }
        return canonical
    }

    public func addGateway(queue reference: String, protocolName requested: String, username: String, secret: String) async throws -> GatewayInfo {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let network = try protocolName(requested)
        let queueName = try await queueRow(reference).record.name
        let gatewayProtocol = GatewayProtocol(name: network)
        let countryCode = switchboard.configuration.defaultCountryCode
        let normalised: String
        do {
            normalised = try gatewayProtocol.normalise(username, defaultCountryCode: countryCode)
        } catch {
            throw AdminError.badRequest("The \(network) username \(error.description)")
        }
        if let owner = gateways.values.first(where: { $0.network == network && $0.normalisedUsername == normalised }) {
            throw AdminError.conflict(
                "The \(network) account \(username) is already a gateway of queue \(owner.queueName); an account can serve only one queue"
            )
        }
        let provisional = GatewayID((gateways.keys.map(\.rawValue).max() ?? 0) + 1)
        do {
            try switchboard.check(.addGateway(Gateway(id: provisional, protocol: gatewayProtocol, account: username, queue: QueueName(queueName))))
        } catch let error where error == .accountInUse {
            logCollision(gatewayAccount: username, protocol: gatewayProtocol)
            throw AdminError.accountInUse
        } catch {
            throw Self.adminError(error)
        }
        let time = now()
        let id = try await write { connection in
            try connection.insertGateway(
                protocol: network, queue: queueName, username: username, normalisedUsername: normalised, secret: secret, at: time
            )
        }
        let added = GatewayRecord(
            id: id, network: network, queueName: queueName, username: username, normalisedUsername: normalised, secret: secret, createdAt: time
        )
        let gatewayID = GatewayID(UInt64(id))
        gateways[gatewayID] = added
        var changes = StoreChanges(time: time)
        stage(
            switchboard.handle(
                .configure(
                    .addGateway(Gateway(id: gatewayID, protocol: gatewayProtocol, account: username, queue: QueueName(queueName))),
                    at: Timestamp(millisecondsSinceEpoch: time)
                )
            ),
            into: &changes
        )
        // The bridge learns of the gateway before it is told to bring it online.
        sessions[network]?.send(.attachGateway(descriptor(added)))
        try await commit(changes)
        return Self.gatewayInfo(added)
    }

    public func deleteGateway(queue reference: String, id: Int64) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        let queueName = try await queueRow(reference).record.name
        guard let record = gateways[GatewayID(UInt64(max(0, id)))], record.queueName == queueName else {
            throw AdminError.notFound("Queue \(queueName) has no gateway with id \(id)")
        }
        try await removeGateway(record)
    }

    public func deleteGateway(queue reference: String, protocolName requested: String, username: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        let queueName = try await queueRow(reference).record.name
        let network = try protocolName(requested)
        let normalised = (try? GatewayProtocol(name: network).normalise(username, defaultCountryCode: switchboard.configuration.defaultCountryCode))
            ?? username
        guard let record = gateways.values.first(where: { $0.network == network && $0.normalisedUsername == normalised && $0.queueName == queueName })
        else {
            throw AdminError.notFound("Queue \(queueName) has no \(network) gateway \(username)")
        }
        try await removeGateway(record)
    }

    /// Signs the gateway off (when its queue is online), ends its open conversations, then deletes and detaches it.
    private func removeGateway(_ target: GatewayRecord) async throws {
        if let storageFailure { throw storageFailure }
        let gatewayID = GatewayID(UInt64(target.id))
        let time = now()
        var changes = StoreChanges(time: time)
        stage(switchboard.handle(.configure(.removeGateway(gatewayID), at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        try await commit(changes)
        try await write { _ = try $0.deleteGateway(id: target.id) }
        sessions[target.network]?.send(.detachGateway(id: gatewayID.rawValue))
        gateways[gatewayID] = nil
        gatewayStates[gatewayID] = nil
        logger.info("gateway removed", metadata: ["gateway": "\(target.id)", "queue": "\(target.queueName)", "protocol": "\(target.network)"])
    }

    /// Says in the log which account a refused gateway collides with, since the API only answers "in use".
    private func logCollision(gatewayAccount account: String, protocol gatewayProtocol: GatewayProtocol) {
        let countryCode = switchboard.configuration.defaultCountryCode
        guard let key = try? AccountKey(protocol: gatewayProtocol, address: account, defaultCountryCode: countryCode) else { return }
        for op in switchboard.configuration.operators {
            for jid in op.staffingJIDs where AccountKey(staffing: jid) == key {
                logger.warning(
                    "gateway refused: its account is a staffing JID",
                    metadata: ["account": "\(account)", "staffing_jid": "\(jid)", "operator": "\(op.name)"]
                )
                return
            }
        }
        for gateway in gateways.values {
            let other = try? AccountKey(protocol: GatewayProtocol(name: gateway.network), address: gateway.username, defaultCountryCode: countryCode)
            if other == key {
                logger.warning(
                    "gateway refused: its account is another gateway's",
                    metadata: ["account": "\(account)", "gateway": "\(gateway.id)", "queue": "\(gateway.queueName)"]
                )
                return
            }
        }
    }

    // MARK: Assignments

    public func assignments(queue reference: String) async throws -> [String] {
        let name = try await queueRow(reference).record.name
        return try await database.read { try $0.assignments(queueName: name).map(\.operatorName) }
    }

    public func assign(user: String, queue reference: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        let queueName = try await queueRow(reference).record.name
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
        let queueName = try await queueRow(reference).record.name
        let removed = try await write { try $0.deleteAssignment(AssignmentRecord(operatorName: user, queueName: queueName)) }
        guard removed else { throw AdminError.notFound("\(user) is not assigned to queue \(queueName)") }
        try await apply(.unassign(OperatorName(user), queue: QueueName(queueName)))
    }

    // MARK: Users

    public func users() async throws -> [UserInfo] {
        let loaded = try await database.read { connection in
            (operators: try connection.allOperators(), jids: try connection.staffingJIDs(), assignments: try connection.assignments())
        }
        return loaded.operators.map { op in
            UserInfo(
                name: op.name, role: op.role == .admin ? .admin : .operator, hasPassword: op.passwordHash != nil,
                staffingJIDs: loaded.jids.filter { $0.operatorName == op.name }.map(\.jid),
                queues: loaded.assignments.filter { $0.operatorName == op.name }.map(\.queueName).sorted()
            )
        }
    }

    public func user(_ name: String) async throws -> UserInfo {
        guard let info = try await users().first(where: { $0.name == name }) else { throw AdminError.notFound("No user named \(name)") }
        return info
    }

    private func requireUser(_ name: String) async throws {
        let exists = try await database.read { try $0.queryFirst("SELECT 1 FROM operators WHERE name = ?", name) { _ in true } } ?? false
        guard exists else { throw AdminError.notFound("No user named \(name)") }
    }

    public func createUser(name: String, role: AdminRole, passwordHash: String?) async throws -> UserInfo {
        await acquireIngest()
        defer { releaseIngest() }
        let exists = try await database.read { try $0.queryFirst("SELECT 1 FROM operators WHERE name = ?", name) { _ in true } } ?? false
        if exists { throw AdminError.conflict("A user named \(name) already exists") }
        let record = OperatorRecord(name: name, role: role == .admin ? .admin : .operator, passwordHash: passwordHash)
        try await write { try $0.insertOperator(record) }
        // A user deleted earlier in this run is still known to the rules (without JIDs or queues): nothing to add.
        if !switchboard.configuration.operators.contains(where: { $0.name == OperatorName(name) }) {
            try await apply(.addOperator(OperatorName(name)))
        }
        return UserInfo(name: name, role: role, hasPassword: passwordHash != nil, staffingJIDs: [], queues: [])
    }

    public func deleteUser(_ name: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        let account = try await account(named: name)
        guard let account else { throw AdminError.notFound("No user named \(name)") }
        if account.role == .admin {
            let admins = try await database.read { try $0.queryFirst("SELECT count(*) FROM operators WHERE role = 'admin'") { try $0.int(0) } } ?? 0
            if admins <= 1 { throw AdminError.conflict("\(name) is the last admin; create another admin first") }
        }
        let operatorName = OperatorName(name)
        let configuration = switchboard.configuration
        let jids = configuration.operators.first { $0.name == operatorName }?.staffingJIDs ?? []
        let queues = configuration.assignments.filter { $0.operator == operatorName }.map(\.queue)
        try await write { _ = try $0.deleteOperator(name: name) }
        // The rules have no "remove operator": without JIDs or queues the operator can receive nothing.
        for jid in jids { try await apply(.removeStaffingJID(jid, operator: operatorName)) }
        for queue in queues { try await apply(.unassign(operatorName, queue: queue)) }
    }

    public func setPasswordHash(user: String, hash: String) async throws {
        let changed = try await write { connection in
            try connection.run("UPDATE operators SET password_hash = ? WHERE name = ?", hash, user)
            return connection.changes
        }
        guard changed == 1 else { throw AdminError.notFound("No user named \(user)") }
    }

    // MARK: Staffing JIDs

    public func staffingJIDs(user: String) async throws -> [String] {
        try await requireUser(user)
        return try await database.read { try $0.staffingJIDs(operatorName: user).map(\.jid) }
    }

    public func addStaffingJID(user: String, jid text: String) async throws -> String {
        await acquireIngest()
        defer { releaseIngest() }
        let jid: BareJID
        do {
            jid = try BareJID(parsing: text)
        } catch {
            throw AdminError.badRequest("The staffing JID \(error.description)")
        }
        guard jid.node != nil else { throw AdminError.badRequest("A staffing JID needs a user part, like name@example.org; got \(text)") }
        try await requireUser(user)
        let change = ConfigurationChange.addStaffingJID(jid, operator: OperatorName(user))
        do {
            try switchboard.check(change)
        } catch let error where error == .accountInUse {
            logStaffingCollision(jid)
            throw AdminError.accountInUse
        } catch {
            throw Self.adminError(error)
        }
        try await write { try $0.insertStaffingJID(StaffingJIDRecord(jid: jid.description, operatorName: user)) }
        try await apply(change)
        subscribe(operator: OperatorName(user))
        return jid.description
    }

    public func removeStaffingJID(user: String, jid text: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        guard let jid = try? BareJID(parsing: text) else { throw AdminError.notFound("\(user) has no staffing JID \(text)") }
        try await requireUser(user)
        let change = ConfigurationChange.removeStaffingJID(jid, operator: OperatorName(user))
        do {
            try switchboard.check(change)
        } catch {
            throw AdminError.notFound("\(user) has no staffing JID \(jid)")
        }
        try await write { _ = try $0.deleteStaffingJID(jid.description) }
        try await apply(change)
    }

    private func logStaffingCollision(_ jid: BareJID) {
        let key = AccountKey(staffing: jid)
        let countryCode = switchboard.configuration.defaultCountryCode
        if let gateway = gateways.values.first(where: {
            (try? AccountKey(protocol: GatewayProtocol(name: $0.network), address: $0.username, defaultCountryCode: countryCode)) == key
        }) {
            logger.warning(
                "staffing JID refused: it is a gateway's account",
                metadata: ["jid": "\(jid)", "gateway": "\(gateway.id)", "queue": "\(gateway.queueName)"]
            )
        } else if let owner = switchboard.configuration.operators.first(where: { $0.staffingJIDs.contains(jid) }) {
            logger.warning("staffing JID refused: another operator staffs from it", metadata: ["jid": "\(jid)", "operator": "\(owner.name)"])
        }
    }

    /// Asks the operator's staffing JIDs for presence subscriptions from their queues, so a newly assigned or
    /// newly added account starts counting at once rather than at the next renewal.
    private func subscribe(operator name: OperatorName) {
        guard let xmpp else { return }
        let configuration = switchboard.configuration
        let jids = configuration.operators.first { $0.name == name }?.staffingJIDs ?? []
        for assignment in configuration.assignments where assignment.operator == name {
            guard let from = queueJID(assignment.queue) else { continue }
            for jid in jids {
                guard let to = try? JID(jid.description) else { continue }
                if !approvedSubscriptions.contains("\(from) \(to)") {
                    xmpp.connection.send(Presence(from: from, to: to, type: .subscribe).element)
                }
                xmpp.connection.send(Presence(from: from, to: to, type: .probe).element)
                xmpp.connection.send(
                    Presence(from: from, to: to, type: switchboard.isOnline(assignment.queue) ? .available : .unavailable).element
                )
            }
        }
    }

    // MARK: History

    public func chats(_ filter: ChatFilter) async throws -> [ChatInfo] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT c.id, c.queue, g.protocol, c.patron, c.state, c.operator, c.started_at, c.answered_at, c.ended_at
                FROM conversations c LEFT JOIN gateways g ON g.id = c.gateway_id
                WHERE (?1 IS NULL OR c.queue = ?1) AND (?2 IS NULL OR c.state = ?2)
                  AND (?3 IS NULL OR c.started_at >= ?3) AND (?4 IS NULL OR c.started_at < ?4)
                ORDER BY c.started_at DESC, c.id DESC LIMIT ?5
                """,
                filter.queue, filter.state, filter.from, filter.to, filter.limit
            ) { row in
                ChatInfo(
                    id: try row.int64(0), queue: try row.string(1), protocolName: row.optionalString(2), patron: try row.string(3),
                    state: try row.string(4), operatorName: row.optionalString(5), startedAt: try row.int64(6),
                    answeredAt: row.optionalInt64(7), endedAt: row.optionalInt64(8)
                )
            }
        }
    }

    // MARK: Presence

    public func presence(queue name: String) async -> Bool? {
        let exists = (try? await database.read { try $0.queryFirst("SELECT 1 FROM queues WHERE name = ?", name) { _ in true } }) ?? nil
        guard exists == true else { return nil }
        return switchboard.isOnline(QueueName(name))
    }

    // MARK: Applying changes

    /// Refuses a change the rules would refuse, with a status that fits the reason.
    private func check(_ change: ConfigurationChange) throws {
        do {
            try switchboard.check(change)
        } catch {
            throw Self.adminError(error)
        }
    }

    static func adminError(_ error: ConfigurationError) -> AdminError {
        if error == .accountInUse { return .accountInUse }
        if error.message.hasPrefix("There is no") { return .notFound(error.message) }
        if error.message.contains("already exists") { return .conflict(error.message) }
        return .badRequest(error.message)
    }

    /// Runs a database write, turning the store's refusals into API answers.
    private func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        do {
            return try await database.write(body)
        } catch let error as StoreError {
            switch error {
            case .gatewayAccountTaken, .queueHasGateways: throw AdminError.conflict(error.description)
            case .notFound: throw AdminError.notFound(error.description)
            case .unexpectedValue: throw error
            }
        }
    }

    /// Applies a checked change to the running rules and carries out what follows from it.
    private func apply(_ change: ConfigurationChange) async throws {
        if let storageFailure { throw storageFailure }
        let time = now()
        var changes = StoreChanges(time: time)
        stage(switchboard.handle(.configure(change, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        try await commit(changes)
    }
}

/// A queue row with its id (the store's `QueueRecord` has none; LibraryH3lp's URLs may use it).
struct QueueRow: Sendable {
    var id: Int64
    var record: QueueRecord

    init(_ row: SQLiteRow) throws {
        id = try row.int64(0)
        record = QueueRecord(
            name: try row.string(1),
            routingPolicy: try row.string(2) == RefdeskStore.RoutingPolicy.leastBusy.rawValue ? .leastBusy : .ringAll,
            chatLimit: try row.int(3),
            offlineReply: try row.string(4),
            keepsTranscripts: try row.bool(5),
            openingHours: row.optionalString(6),
            timeZone: row.optionalString(7)
        )
    }
}

/// `refdesk-router --create-admin NAME`: the first admin account, written straight into the database (the API
/// needs an admin to sign in before it can create one).
public enum AdminBootstrap {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates admin `name` with `password`, or fails if the name is taken or the password too weak.
    public static func createAdmin(configuration: RouterConfiguration, name: String, password: String, logger: Logger) async throws {
        do {
            try AdminService.checkName(name, what: "user")
            try PasswordHasher.checkStrength(password)
        } catch let refusal as RequestFields.Invalid {
            throw Failure(description: refusal.message)
        } catch {
            throw Failure(description: "\(error)")
        }
        let iterations = configuration.admin?.service.hashIterations ?? PasswordHasher.defaultIterations
        let hash = try await PasswordHasher.hashInBackground(password, iterations: iterations)
        let database = try DatabaseExecutor(path: configuration.databasePath, migrations: RouterSchema.migrations, logger: logger)
        do {
            let created = try await database.write { connection in
                if try connection.queryFirst("SELECT 1 FROM operators WHERE name = ?", name, row: { _ in true }) == true { return false }
                try connection.insertOperator(OperatorRecord(name: name, role: .admin, passwordHash: hash))
                return true
            }
            await database.close()
            guard created else { throw Failure(description: "a user named \(name) already exists") }
        } catch {
            await database.close()
            throw error
        }
    }
}
