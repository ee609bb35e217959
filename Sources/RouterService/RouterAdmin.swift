import AdminAPI
import Logging
import RefdeskCore
import RefdeskStore

/// The admin API's view of the router.
///
/// Every change is checked by the switchboard's rules first (unknown names, the loop guard), written to the
/// database, and then applied to the running switchboard through `.configure`, whose actions are committed and
/// carried out like any other event's: a gateway added to an online queue is attached to its bridge and comes
/// online at once; a deleted one is signed off and detached. Changes are serialised with the bridges' batches,
/// so a check and the write it allows are never interleaved with another change.
///
/// Queues and assignments are in RouterAdmin+Queues.swift, gateways in RouterAdmin+Gateways.swift, users and
/// their staffing JIDs in RouterAdmin+Users.swift; the SQL is in the store.
extension Router: AdminBackend {
    // MARK: Accounts

    public func account(named name: String) async throws -> AdminAccount? {
        let record = try await database.read { try $0.operatorRecord(named: name) }
        return record.map { AdminAccount(name: $0.name, role: $0.role == .admin ? .admin : .operator, passwordHash: $0.passwordHash) }
    }

    // MARK: History

    public func chats(_ filter: ChatFilter) async throws -> [ChatInfo] {
        let query = ChatHistoryFilter(queue: filter.queue, state: filter.state, from: filter.from, to: filter.to, limit: filter.limit, text: filter.text)
        let rows = try await database.read { try $0.chatHistory(query) }
        return rows.map { row in
            ChatInfo(
                id: row.id, queue: row.queueName, protocolName: row.protocolName, patron: row.patron, state: row.state,
                operatorName: row.operatorName, startedAt: row.startedAt, answeredAt: row.answeredAt, endedAt: row.endedAt
            )
        }
    }

    // MARK: Presence

    public func presence(queue name: String) async -> Bool? {
        let stored = (try? await database.read { try $0.storedQueue(named: name) }) ?? nil
        guard stored != nil else { return nil }
        return switchboard.isOnline(QueueName(name))
    }

    // MARK: Applying changes

    /// Refuses a change the rules would refuse, with a status that fits the reason.
    func check(_ change: ConfigurationChange) throws {
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
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
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
    func apply(_ change: ConfigurationChange) async throws {
        if let storageFailure { throw storageFailure }
        let time = now()
        var changes = StoreChanges(time: time)
        stage(switchboard.handle(.configure(change, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        try await commit(changes)
    }

    // MARK: The component's own domain

    /// Whether `domain` is the one the router's XMPP component owns: every address there is refdesk itself (a queue
    /// or a patron), so an account on it can never be a librarian's or a gateway's without a loop.
    func isOwnDomain(_ domain: String) -> Bool {
        guard let own = xmpp?.domain else { return false }
        return domain.lowercased() == own.lowercased()
    }
}
