/// Typed operations on a bridge spool (`SpoolSchema`).
extension SQLiteConnection {
    // MARK: Inbound (outside network → router)

    /// Stores a frame for the router unless its id is pending or was already forwarded.
    public func spoolInbound(id: String, payload: [UInt8], at time: Int64) throws -> SpoolResult {
        let forwarded = try queryFirst("SELECT 1 FROM forwarded_ids WHERE id = ?", id) { _ in true } ?? false
        if forwarded { return .duplicate }
        try run("INSERT OR IGNORE INTO pending (id, payload, created_at) VALUES (?, ?, ?)", id, payload, time)
        guard changes == 1 else { return .duplicate }
        return .spooled(seq: lastInsertRowID)
    }

    /// Frames still to forward, in arrival order, after `afterSeq` (0 for all).
    public func pendingInbound(afterSeq: Int64 = 0, limit: Int) throws -> [SpooledFrame] {
        try query("SELECT seq, id, payload, created_at FROM pending WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit) { row in
            SpooledFrame(seq: try row.int64(0), id: try row.string(1), payload: try row.blob(2), createdAt: try row.int64(3))
        }
    }

    /// The router has the frames durably: drop them from `pending` and remember their ids, so a
    /// replay from the network (same MessageSid) is still recognised.
    /// - Returns: the encoded frames that were still pending, so each is counted as forwarded once.
    @discardableResult
    public func acknowledgeInbound(ids: [String], at time: Int64) throws -> [[UInt8]] {
        var forwarded: [[UInt8]] = []
        for id in ids {
            forwarded += try query("DELETE FROM pending WHERE id = ? RETURNING payload", id) { try $0.blob(0) }
            try run("INSERT OR IGNORE INTO forwarded_ids (id, at) VALUES (?, ?)", id, time)
        }
        return forwarded
    }

    /// Forgets forwarded ids acknowledged before `time`; the network stops retrying long before.
    @discardableResult
    public func pruneForwarded(before time: Int64) throws -> Int {
        try run("DELETE FROM forwarded_ids WHERE at < ?", time)
        return changes
    }

    /// Frames not yet acknowledged by the router (a health figure).
    public func pendingInboundCount() throws -> Int {
        try queryFirst("SELECT count(*) FROM pending") { try $0.int(0) } ?? 0
    }

    /// Messages from the router not yet sent to the outside network (a health figure).
    public func queuedOutboundCount() throws -> Int {
        try queryFirst("SELECT count(*) FROM outbound WHERE state = 'queued'") { try $0.int(0) } ?? 0
    }

    // MARK: Outbound (router → outside network)

    /// Takes a message from the router, due at once.
    /// - Returns: `false` when the id was seen before (the router resent it because an ack was lost); it
    ///   must be acknowledged again but not sent twice.
    public func acceptOutbound(id: String, gatewayID: Int64, recipient: String, body: String, at time: Int64) throws -> Bool {
        try run(
            """
            INSERT OR IGNORE INTO outbound (id, gateway_id, recipient, body, state, attempts, next_attempt_at, created_at)
            VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?5)
            """,
            id, gatewayID, recipient, body, time
        )
        return changes == 1
    }

    /// Queued messages whose next attempt is due at `now`, earliest first.
    public func dueOutbound(now: Int64, limit: Int) throws -> [SpoolOutboundRecord] {
        try query(
            "SELECT \(Self.outboundColumns) FROM outbound WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?",
            now, limit, row: Self.outbound(from:)
        )
    }

    /// Records the outcome of a delivery attempt: counts the attempt, and sets the new state, the error
    /// (if any) and, for a retry, when to try again.
    public func markOutbound(id: String, state: SpoolOutboundState, error: String?, nextAttemptAt: Int64? = nil) throws {
        try run(
            """
            UPDATE outbound SET state = ?, last_error = ?, attempts = attempts + 1,
                next_attempt_at = coalesce(?, next_attempt_at)
            WHERE id = ?
            """,
            state.rawValue, error, nextAttemptAt, id
        )
        guard changes == 1 else { throw StoreError.notFound(table: "outbound", key: "'\(id)'") }
    }

    /// Every outbound row in arrival order, whatever its state.
    public func allOutbound() throws -> [SpoolOutboundRecord] {
        try query("SELECT \(Self.outboundColumns) FROM outbound ORDER BY seq", row: Self.outbound(from:))
    }

    /// Deletes sent and failed messages created before `time`. Their ids stop being recognised as
    /// duplicates, so keep them longer than the router could possibly resend.
    @discardableResult
    public func pruneFinishedOutbound(before time: Int64) throws -> Int {
        try run("DELETE FROM outbound WHERE state <> 'queued' AND created_at < ?", time)
        return changes
    }

    private static let outboundColumns =
        "seq, id, gateway_id, recipient, body, state, attempts, next_attempt_at, last_error, created_at"

    private static func outbound(from row: SQLiteRow) throws -> SpoolOutboundRecord {
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
}
