/// Reliable delivery between router and bridges: dedupe of incoming frames, the outbox of outgoing
/// messages, delivery reports.
extension SQLiteConnection {
    // MARK: Dedupe

    /// Records the id of a reliable frame the router made durable.
    /// - Returns: `true` if the id is new; `false` means a bridge resent a frame that was already
    ///   handled (its ack was lost), so it must be acked again but not processed again.
    public func markSeen(id: String, at time: Int64) throws -> Bool {
        try run("INSERT OR IGNORE INTO seen_ids (id, at) VALUES (?, ?)", id, time)
        return changes == 1
    }

    /// Forgets ids seen before `time`; bridges stop resending long before.
    @discardableResult
    public func pruneSeen(before time: Int64) throws -> Int {
        try run("DELETE FROM seen_ids WHERE at < ?", time)
        return changes
    }

    // MARK: Outbox

    /// Stores a message for a patron before it is offered to the bridge, so a router or bridge restart
    /// cannot lose it.
    /// - Returns: its sequence number.
    @discardableResult
    public func enqueueOutbound(
        id: String, protocol network: String, gatewayID: Int64, recipient: String, body: String, conversation: Int64?, at time: Int64
    ) throws -> Int64 {
        try run(
            "INSERT INTO outbox (id, protocol, gateway_id, recipient, body, conversation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            id, network, gatewayID, recipient, body, conversation, time
        )
        return lastInsertRowID
    }

    /// Unacknowledged messages for the bridge of `network`, in sending order, after `afterSeq` (0 for
    /// all): what is resent when the bridge reconnects.
    public func pendingOutbound(protocol network: String, afterSeq: Int64 = 0, limit: Int) throws -> [OutboxRecord] {
        try query(
            """
            SELECT seq, id, protocol, gateway_id, recipient, body, conversation_id, created_at
            FROM outbox WHERE protocol = ? AND seq > ? ORDER BY seq LIMIT ?
            """,
            network, afterSeq, limit
        ) { row in
            OutboxRecord(
                seq: try row.int64(0),
                id: try row.string(1),
                network: try row.string(2),
                gatewayID: try row.int64(3),
                recipient: try row.string(4),
                body: try row.string(5),
                conversationID: row.optionalInt64(6),
                createdAt: try row.int64(7)
            )
        }
    }

    /// Deletes the messages a bridge acknowledged (it has them durably in its spool).
    /// - Returns: the ones that were still pending, so each is counted as passed on once; acking twice is harmless.
    @discardableResult
    public func acknowledgeOutbound(ids: [String]) throws -> [AcknowledgedOutbound] {
        var acknowledged: [AcknowledgedOutbound] = []
        for id in ids {
            acknowledged += try query("DELETE FROM outbox WHERE id = ? RETURNING protocol, gateway_id", id) { row in
                AcknowledgedOutbound(protocolName: try row.string(0), gatewayID: try row.int64(1))
            }
        }
        return acknowledged
    }

    /// Messages not yet acknowledged by a bridge (a health figure: it grows while a bridge is down).
    public func outboxDepth() throws -> Int {
        try queryFirst("SELECT count(*) FROM outbox") { try $0.int(0) } ?? 0
    }

    // MARK: Delivery reports

    /// Keeps a delivery report from a bridge; several may arrive for one message (sent, then delivered).
    public func recordDelivery(messageID: String, status: String, reason: String?, at time: Int64) throws {
        try run("INSERT INTO delivery_reports (message_id, status, reason, at) VALUES (?, ?, ?, ?)", messageID, status, reason, time)
    }

    /// Reports about one message, oldest first.
    public func deliveryReports(messageID: String) throws -> [DeliveryReportRecord] {
        try query("SELECT message_id, status, reason, at FROM delivery_reports WHERE message_id = ? ORDER BY id", messageID) { row in
            DeliveryReportRecord(messageID: try row.string(0), status: try row.string(1), reason: row.optionalString(2), at: try row.int64(3))
        }
    }
}
