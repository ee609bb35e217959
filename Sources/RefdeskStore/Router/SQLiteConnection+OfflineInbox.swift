/// The offline inbox and the once-per-spell offline reply.
extension SQLiteConnection {
    /// Keeps a message that reached a queue nobody staffs.
    /// - Returns: the entry's id.
    @discardableResult
    public func insertOffline(
        queue: String, gatewayID: Int64, patron: String, body: String, messageID: String?, sentAt: Int64?, receivedAt: Int64
    ) throws -> Int64 {
        try run(
            "INSERT INTO offline_inbox (queue, gateway_id, patron, body, message_id, sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            queue, gatewayID, patron, body, messageID, sentAt, receivedAt
        )
        return lastInsertRowID
    }

    /// A queue's waiting messages, oldest first: the order they are delivered in.
    public func offlineEntries(queue: String) throws -> [OfflineEntry] {
        try query(
            """
            SELECT id, queue, gateway_id, patron, body, message_id, sent_at, received_at
            FROM offline_inbox WHERE queue = ? ORDER BY id
            """,
            queue
        ) { row in
            OfflineEntry(
                id: try row.int64(0),
                queueName: try row.string(1),
                gatewayID: try row.int64(2),
                patron: try row.string(3),
                body: try row.string(4),
                messageID: row.optionalString(5),
                sentAt: row.optionalInt64(6),
                receivedAt: try row.int64(7)
            )
        }
    }

    /// Removes delivered entries.
    /// - Returns: how many existed.
    @discardableResult
    public func deleteOffline(ids: [Int64]) throws -> Int {
        var deleted = 0
        for id in ids {
            try run("DELETE FROM offline_inbox WHERE id = ?", id)
            deleted += changes
        }
        return deleted
    }

    /// Messages waiting in all offline inboxes (a health figure).
    public func offlineInboxDepth() throws -> Int {
        try queryFirst("SELECT count(*) FROM offline_inbox") { try $0.int(0) } ?? 0
    }

    /// Notes that a patron got the offline reply during offline spell `spell` (any number that
    /// identifies the spell, e.g. when the queue went offline).
    /// - Returns: `true` the first time for that patron and spell — only then is the reply sent, so a
    ///   patron writing ten messages gets it once.
    public func recordAutoReply(queue: String, gateway: Int64, patron: String, spell: Int64) throws -> Bool {
        try run(
            "INSERT OR IGNORE INTO auto_replies (queue, gateway_id, patron, spell) VALUES (?, ?, ?, ?)",
            queue, gateway, patron, spell
        )
        return changes == 1
    }

    /// Forgets auto-reply marks of spells before `spell` for a queue; they can never match again.
    @discardableResult
    public func pruneAutoReplies(queue: String, beforeSpell spell: Int64) throws -> Int {
        try run("DELETE FROM auto_replies WHERE queue = ? AND spell < ?", queue, spell)
        return changes
    }
}
