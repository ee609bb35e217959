/// Spool operations the SMS bridge needs beyond the shared ones (`SpoolSchema` version 2): patrons' opt-outs,
/// the parts of outbound messages the network accepted, and the head-of-line view of the outbound queue.
extension SQLiteConnection {
    // MARK: Opt-outs

    /// Records that `patron` texted STOP (`optedOut` true) or START (false) to gateway `gatewayID`.
    public func setOptedOut(gatewayID: Int64, patron: String, _ optedOut: Bool, at time: Int64) throws {
        if optedOut {
            try run("INSERT OR REPLACE INTO opt_outs (gateway_id, patron, at) VALUES (?, ?, ?)", gatewayID, patron, time)
        } else {
            try run("DELETE FROM opt_outs WHERE gateway_id = ? AND patron = ?", gatewayID, patron)
        }
    }

    /// Whether `patron` has opted out of messages from gateway `gatewayID`.
    public func isOptedOut(gatewayID: Int64, patron: String) throws -> Bool {
        try queryFirst("SELECT 1 FROM opt_outs WHERE gateway_id = ? AND patron = ?", gatewayID, patron) { _ in true } ?? false
    }

    // MARK: Outbound queue, head of line

    /// The oldest queued outbound message of each patron (gateway and recipient), due or not, in arrival order.
    /// Only these may be sent, so a message waiting for a retry holds back the later ones to the same patron; the
    /// later ones are not read at all, so a backlog does not make every look at the queue slower.
    public func nextOutboundPerPatron(limit: Int) throws -> [SpoolOutboundRecord] {
        try query(
            """
            SELECT \(outboundRecordColumns) FROM outbound WHERE seq IN (
                SELECT min(seq) FROM outbound WHERE state = 'queued' GROUP BY gateway_id, recipient
            ) ORDER BY seq LIMIT ?
            """,
            limit,
            row: outboundRecord(from:)
        )
    }

    // MARK: Sent parts

    /// The network accepted part `part` (from 0) of outbound message `outboundID` and named it `networkID`.
    public func recordSentPart(networkID: String, outboundID: String, part: Int, at time: Int64) throws {
        try run(
            "INSERT OR REPLACE INTO sent_parts (network_id, outbound_id, part, delivered, at) VALUES (?, ?, ?, 0, ?)",
            networkID, outboundID, part, time
        )
    }

    /// The parts of `outboundID` already accepted by the network.
    public func sentPartNumbers(outboundID: String) throws -> Set<Int> {
        Set(try query("SELECT part FROM sent_parts WHERE outbound_id = ?", outboundID) { try $0.int(0) })
    }

    /// The outbound message a network id belongs to, or nil when the id is not one of ours.
    public func sentPart(networkID: String) throws -> (outboundID: String, part: Int)? {
        try queryFirst("SELECT outbound_id, part FROM sent_parts WHERE network_id = ?", networkID) { row in
            (try row.string(0), try row.int(1))
        }
    }

    /// Marks a part delivered and returns how many parts of its message are now delivered.
    public func markPartDelivered(networkID: String) throws -> Int {
        try run("UPDATE sent_parts SET delivered = 1 WHERE network_id = ?", networkID)
        return try queryFirst(
            "SELECT count(*) FROM sent_parts WHERE delivered = 1 AND outbound_id = (SELECT outbound_id FROM sent_parts WHERE network_id = ?)",
            networkID
        ) { try $0.int(0) } ?? 0
    }

    /// One outbound message by its id, whatever its state.
    public func outboundMessage(id: String) throws -> SpoolOutboundRecord? {
        try queryFirst(
            "SELECT \(outboundRecordColumns) FROM outbound WHERE id = ?",
            id,
            row: outboundRecord(from:)
        )
    }

}

private let outboundRecordColumns =
    "seq, id, gateway_id, recipient, body, state, attempts, next_attempt_at, last_error, created_at"

private func outboundRecord(from row: SQLiteRow) throws -> SpoolOutboundRecord {
    SpoolOutboundRecord(
        seq: try row.int64(0),
        id: try row.string(1),
        gatewayID: try row.int64(2),
        recipient: try row.string(3),
        body: try row.string(4),
        state: try .decode(try row.string(5), table: "outbound", column: "state"),
        attempts: try row.int(6),
        nextAttemptAt: try row.int64(7),
        lastError: row.optionalString(8),
        createdAt: try row.int64(9)
    )
}
