import AdminAPI
import Logging
import RefdeskCore
import RefdeskStore
import XMPP

/// Users (operators and admins) and the XMPP accounts they staff from, for the admin API.
extension Router {
    public func users() async throws -> [UserInfo] {
        let loaded = try await database.read { connection in
            (operators: try connection.storedOperators(), jids: try connection.staffingJIDs(), assignments: try connection.assignments())
        }
        return loaded.operators.map { stored in
            let op = stored.record
            return UserInfo(
                id: stored.id, name: op.name, role: op.role == .admin ? .admin : .operator, hasPassword: op.passwordHash != nil,
                staffingJIDs: loaded.jids.filter { $0.operatorName == op.name }.map(\.jid),
                queues: loaded.assignments.filter { $0.operatorName == op.name }.map(\.queueName).sorted()
            )
        }
    }

    public func user(_ name: String) async throws -> UserInfo {
        guard let info = try await users().first(where: { $0.name == name }) else { throw AdminError.notFound("No user named \(name)") }
        return info
    }

    func requireUser(_ name: String) async throws {
        guard try await database.read({ try $0.operatorRecord(named: name) }) != nil else {
            throw AdminError.notFound("No user named \(name)")
        }
    }

    public func createUser(name: String, role: AdminRole, passwordHash: String?) async throws -> UserInfo {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        if try await database.read({ try $0.operatorRecord(named: name) }) != nil {
            throw AdminError.conflict("A user named \(name) already exists")
        }
        let record = OperatorRecord(name: name, role: role == .admin ? .admin : .operator, passwordHash: passwordHash)
        try await write { try $0.insertOperator(record) }
        // A user deleted earlier in this run is still known to the rules (without JIDs or queues): nothing to add.
        if !switchboard.configuration.operators.contains(where: { $0.name == OperatorName(name) }) {
            try await apply(.addOperator(OperatorName(name)))
        }
        return try await user(name)
    }

    public func deleteUser(_ name: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let account = try await account(named: name)
        guard let account else { throw AdminError.notFound("No user named \(name)") }
        if account.role == .admin {
            let admins = try await database.read { try $0.adminCount() }
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
        let changed = try await write { try $0.setPasswordHash(operatorName: user, hash: hash) }
        guard changed else { throw AdminError.notFound("No user named \(user)") }
    }

    // MARK: Staffing JIDs

    public func staffingJIDs(user: String) async throws -> [String] {
        try await requireUser(user)
        return try await database.read { try $0.staffingJIDs(operatorName: user).map(\.jid) }
    }

    public func addStaffingJID(user: String, jid text: String) async throws -> String {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let jid: BareJID
        do {
            jid = try BareJID(parsing: text)
        } catch {
            throw AdminError.badRequest("The staffing JID \(error.description)")
        }
        guard jid.node != nil else { throw AdminError.badRequest("A staffing JID needs a user part, like name@example.org; got \(text)") }
        try await requireUser(user)
        // Every address on the component's domain is refdesk itself (a queue or a patron): it can never staff.
        if isOwnDomain(jid.domain) {
            logger.warning(
                "staffing JID refused: it is on refdesk's own XMPP domain",
                metadata: ["jid": "\(jid)", "operator": "\(user)", "domain": "\(jid.domain)"]
            )
            throw AdminError.accountInUse
        }
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
        if let storageFailure { throw storageFailure }
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
            (try? AccountKey(protocol: GatewayProtocol(name: $0.network), address: $0.username, defaultCountryCode: countryCode))?.isSameAccount(as: key) == true
        }) {
            logger.warning(
                "staffing JID refused: it is a gateway's account",
                metadata: ["jid": "\(jid)", "gateway": "\(gateway.id)", "gateway_account": "\(gateway.username)", "queue": "\(gateway.queueName)"]
            )
        } else if let owner = switchboard.configuration.operators.first(where: { $0.staffingJIDs.contains { AccountKey(staffing: $0).isSameAccount(as: key) } }) {
            logger.warning("staffing JID refused: another operator staffs from it", metadata: ["jid": "\(jid)", "operator": "\(owner.name)"])
        }
    }
}
