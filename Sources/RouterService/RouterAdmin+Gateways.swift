import AdminAPI
import BridgeProtocol
import BridgeTransport
import Logging
import RefdeskCore
import RefdeskStore

/// Gateways (LibraryH3lp's resource and refdesk's state and password change), for the admin API.
extension Router {
    public func gateways(queue reference: String) async throws -> [GatewayInfo] {
        let name = try await storedQueue(reference).record.name
        return gateways.values.filter { $0.queueName == name }.sorted { $0.id < $1.id }.map(Self.gatewayInfo)
    }

    static func gatewayInfo(_ record: GatewayRecord) -> GatewayInfo {
        GatewayInfo(id: record.id, queue: record.queueName, protocolName: record.network, username: record.username, secret: record.secret)
    }

    static func statusInfo(_ entry: (record: GatewayRecord, status: GatewayStatus)) -> GatewayStatusInfo {
        GatewayStatusInfo(gateway: gatewayInfo(entry.record), state: entry.status.name, reason: entry.status.reason, since: entry.status.since)
    }

    public func gatewayStatuses() async throws -> [GatewayStatusInfo] {
        gatewaysWithStatus().map(Self.statusInfo)
    }

    public func gatewayStatus(queue reference: String, gateway: GatewayReference) async throws -> GatewayStatusInfo {
        let record = try await gatewayRecord(queue: reference, gateway)
        return Self.statusInfo((record, gatewayStatus(record)))
    }

    /// The protocol names the API accepts: the bridges' names, with `sms` as another name for `twilio`.
    func protocolName(_ name: String) throws -> String {
        let canonical = GatewayProtocol(name: name).name
        guard Self.knownProtocols.contains(canonical) else {
            let known = Self.knownProtocols.subtracting(["test"]).sorted().joined(separator: " or ")
            throw AdminError.badRequest("Unknown protocol \(name); use \(known)")
        }
        return canonical
    }

    /// The gateway a URL names on queue `reference`, by id or by protocol and username.
    func gatewayRecord(queue reference: String, _ gateway: GatewayReference) async throws -> GatewayRecord {
        let queueName = try await storedQueue(reference).record.name
        switch gateway {
        case .id(let id):
            guard id > 0, let record = gateways[GatewayID(UInt64(id))], record.queueName == queueName else {
                throw AdminError.notFound("Queue \(queueName) has no gateway with id \(id)")
            }
            return record
        case .account(let requested, let username):
            let network = try protocolName(requested)
            let countryCode = switchboard.configuration.defaultCountryCode
            let normalised = (try? GatewayProtocol(name: network).normalise(username, defaultCountryCode: countryCode)) ?? username
            guard let record = gateways.values.first(where: { $0.network == network && $0.normalisedUsername == normalised && $0.queueName == queueName })
            else {
                throw AdminError.notFound("Queue \(queueName) has no \(network) gateway \(username)")
            }
            return record
        }
    }

    public func addGateway(queue reference: String, protocolName requested: String, username: String, secret: String) async throws -> GatewayInfo {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        let network = try protocolName(requested)
        let queueName = try await storedQueue(reference).record.name
        let gatewayProtocol = GatewayProtocol(name: network)
        let countryCode = switchboard.configuration.defaultCountryCode
        let normalised: String
        let key: AccountKey
        do {
            normalised = try gatewayProtocol.normalise(username, defaultCountryCode: countryCode)
            key = try AccountKey(protocol: gatewayProtocol, address: username, defaultCountryCode: countryCode)
        } catch {
            throw AdminError.badRequest("The \(network) username \(error.description)")
        }
        if let owner = gateways.values.first(where: { $0.network == network && $0.normalisedUsername == normalised }) {
            throw AdminError.conflict(
                "The \(network) account \(username) is already a gateway of queue \(owner.queueName); an account can serve only one queue"
            )
        }
        if let domain = key.xmppDomains.first(where: isOwnDomain) {
            logger.warning(
                "gateway refused: its account is on refdesk's own XMPP domain",
                metadata: ["account": "\(username)", "protocol": "\(network)", "domain": "\(domain)"]
            )
            throw AdminError.accountInUse
        }
        // Ids come from the database, which never reuses one; the rules only need one no other gateway has.
        let provisional = GatewayID((gateways.keys.map(\.rawValue).max() ?? 0) + 1)
        do {
            try switchboard.check(.addGateway(Gateway(id: provisional, protocol: gatewayProtocol, account: username, queue: QueueName(queueName))))
        } catch let error where error == .accountInUse {
            logCollision(gatewayAccount: key, username: username)
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

    public func updateGateway(queue reference: String, gateway: GatewayReference, secret: String) async throws -> GatewayInfo {
        await acquireIngest()
        defer { releaseIngest() }
        if let storageFailure { throw storageFailure }
        var target = try await gatewayRecord(queue: reference, gateway)
        let id = target.id
        try await write { _ = try $0.updateGatewaySecret(id: id, secret: secret) }
        target.secret = secret
        gateways[GatewayID(UInt64(id))] = target
        // `attachGateway` for a gateway the bridge runs replaces its settings: it signs in again with the new secret.
        sessions[target.network]?.send(.attachGateway(descriptor(target)))
        logger.info("gateway secret changed", metadata: ["gateway": "\(id)", "queue": "\(target.queueName)", "protocol": "\(target.network)"])
        return Self.gatewayInfo(target)
    }

    public func deleteGateway(queue reference: String, id: Int64) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        try await removeGateway(try await gatewayRecord(queue: reference, .id(id)))
    }

    public func deleteGateway(queue reference: String, protocolName requested: String, username: String) async throws {
        await acquireIngest()
        defer { releaseIngest() }
        try await removeGateway(try await gatewayRecord(queue: reference, .account(protocolName: requested, username: username)))
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
        gatewayStates.forget(gatewayID)
        logger.info("gateway removed", metadata: ["gateway": "\(target.id)", "queue": "\(target.queueName)", "protocol": "\(target.network)"])
    }

    /// Says in the log which account a refused gateway collides with, since the API only answers "in use".
    private func logCollision(gatewayAccount key: AccountKey, username account: String) {
        for op in switchboard.configuration.operators {
            for jid in op.staffingJIDs where AccountKey(staffing: jid).isSameAccount(as: key) {
                logger.warning(
                    "gateway refused: its account is a staffing JID",
                    metadata: ["account": "\(account)", "staffing_jid": "\(jid)", "operator": "\(op.name)"]
                )
                return
            }
        }
        let countryCode = switchboard.configuration.defaultCountryCode
        for gateway in gateways.values {
            let other = try? AccountKey(protocol: GatewayProtocol(name: gateway.network), address: gateway.username, defaultCountryCode: countryCode)
            if let other, other.isSameAccount(as: key) {
                logger.warning(
                    "gateway refused: its account is another gateway's",
                    metadata: ["account": "\(account)", "gateway": "\(gateway.id)", "colliding_account": "\(gateway.username)", "queue": "\(gateway.queueName)"]
                )
                return
            }
        }
    }
}
