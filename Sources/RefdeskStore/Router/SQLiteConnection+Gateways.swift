/// Gateways (outside accounts) and the patrons seen through them.
extension SQLiteConnection {
    /// Registers an account on an outside network for `queue`.
    ///
    /// One account, one queue: a second gateway with the same protocol and normalised username is
    /// refused with `StoreError.gatewayAccountTaken`, naming the queue that already has it.
    /// - Returns: the new gateway's id.
    public func insertGateway(
        protocol network: String,
        queue: String,
        username: String,
        normalisedUsername: String,
        secret: String,
        at createdAt: Int64
    ) throws -> Int64 {
        let owner = try queryFirst(
            "SELECT queue FROM gateways WHERE protocol = ? AND normalised_username = ?", network, normalisedUsername
        ) { try $0.string(0) }
        if let owner {
            throw StoreError.gatewayAccountTaken(protocol: network, username: username, queue: owner)
        }
        try run(
            "INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            network, queue, username, normalisedUsername, secret, createdAt
        )
        return lastInsertRowID
    }

    private static let gatewayColumns = "id, protocol, queue, username, normalised_username, secret, created_at"

    private static func gateway(from row: SQLiteRow) throws -> GatewayRecord {
        GatewayRecord(
            id: try row.int64(0),
            network: try row.string(1),
            queueName: try row.string(2),
            username: try row.string(3),
            normalisedUsername: try row.string(4),
            secret: try row.string(5),
            createdAt: try row.int64(6)
        )
    }

    /// The gateways a bridge for `network` must serve, or all gateways when `network` is `nil`.
    public func gateways(protocol network: String? = nil) throws -> [GatewayRecord] {
        if let network {
            return try query("SELECT \(Self.gatewayColumns) FROM gateways WHERE protocol = ? ORDER BY id", network, row: Self.gateway(from:))
        }
        return try query("SELECT \(Self.gatewayColumns) FROM gateways ORDER BY id", row: Self.gateway(from:))
    }

    /// One gateway, or `nil` when the id is unknown (e.g. deleted meanwhile).
    public func gateway(id: Int64) throws -> GatewayRecord? {
        try queryFirst("SELECT \(Self.gatewayColumns) FROM gateways WHERE id = ?", id, row: Self.gateway(from:))
    }

    /// Replaces a gateway's secret (its password or token), e.g. after the account's password was changed.
    /// - Returns: `false` when the id is unknown.
    @discardableResult
    public func updateGatewaySecret(id: Int64, secret: String) throws -> Bool {
        try run("UPDATE gateways SET secret = ? WHERE id = ?", secret, id)
        return changes == 1
    }

    /// Deletes a gateway with its pending outbound messages, offline inbox entries and patrons;
    /// conversations keep their history with no gateway.
    @discardableResult
    public func deleteGateway(id: Int64) throws -> Bool {
        try run("DELETE FROM gateways WHERE id = ?", id)
        return changes == 1
    }

    // MARK: Patrons

    /// Notes that `address` wrote through a gateway, keeping when it was first and last seen.
    public func recordPatron(gatewayID: Int64, address: String, at time: Int64) throws {
        try run(
            """
            INSERT INTO patrons (gateway_id, address, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)
            ON CONFLICT (gateway_id, address) DO UPDATE SET last_seen_at = max(last_seen_at, excluded.last_seen_at)
            """,
            gatewayID, address, time
        )
    }

    /// The patrons seen through one gateway, by address.
    public func patrons(gatewayID: Int64) throws -> [PatronRecord] {
        try query(
            "SELECT gateway_id, address, first_seen_at, last_seen_at FROM patrons WHERE gateway_id = ? ORDER BY address", gatewayID
        ) { row in
            PatronRecord(gatewayID: try row.int64(0), address: try row.string(1), firstSeenAt: try row.int64(2), lastSeenAt: try row.int64(3))
        }
    }
}
