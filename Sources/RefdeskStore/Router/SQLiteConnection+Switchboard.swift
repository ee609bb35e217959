/// One patron message of an open conversation that nobody has answered yet.
public struct PendingRow: Hashable, Sendable {
    /// Its place in the conversation's list, from 0.
    public var position: Int64
    public var body: String
    /// Milliseconds since the epoch.
    public var receivedAt: Int64
    /// Media sent with it, as JSON (the router's encoding); empty when none.
    public var media: String
    /// Refdesk's own words (a hand-over), not the patron's.
    public var fromRefdesk: Bool

    public init(position: Int64, body: String, receivedAt: Int64, media: String = "", fromRefdesk: Bool = false) {
        self.position = position
        self.body = body
        self.receivedAt = receivedAt
        self.media = media
        self.fromRefdesk = fromRefdesk
    }
}

/// What the router needs to restore its rules state after a restart.
extension SQLiteConnection {
    /// Replaces the saved switchboard state (an encoded snapshot; this target does not interpret it).
    public func saveSwitchboardState(_ snapshot: [UInt8]) throws {
        try run("INSERT INTO switchboard_state (id, snapshot) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot", snapshot)
    }

    /// The saved switchboard state, or nil on a fresh database.
    public func switchboardState() throws -> [UInt8]? {
        try queryFirst("SELECT snapshot FROM switchboard_state WHERE id = 1") { try $0.blob(0) }
    }

    /// Saves one open conversation's rules state (an encoded value; this target does not interpret it).
    public func saveSwitchboardConversation(id: Int64, state: [UInt8]) throws {
        try run("INSERT INTO switchboard_conversations (id, state) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state", id, state)
    }

    /// Forgets a conversation that is no longer open, with its pending messages.
    public func deleteSwitchboardConversation(id: Int64) throws {
        try run("DELETE FROM switchboard_conversations WHERE id = ?", id)
        try deleteSwitchboardPending(conversation: id)
    }

    /// Saves a pending (not yet answered) patron message of an open conversation at its position (0 for the
    /// first). Saving the same position again replaces it, so a batch that repeats an earlier batch's rows is harmless.
    public func saveSwitchboardPending(_ message: PendingRow, conversation: Int64) throws {
        try run(
            """
            INSERT INTO switchboard_pending (conversation, position, body, received_at, media, from_refdesk) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(conversation, position) DO UPDATE SET
                body = excluded.body, received_at = excluded.received_at, media = excluded.media, from_refdesk = excluded.from_refdesk
            """,
            conversation, message.position, message.body, message.receivedAt, message.media, message.fromRefdesk ? 1 : 0
        )
    }

    /// Forgets every pending message of a conversation (it was answered, transferred or closed).
    public func deleteSwitchboardPending(conversation: Int64) throws {
        try run("DELETE FROM switchboard_pending WHERE conversation = ?", conversation)
    }

    /// Every open conversation's pending messages, by conversation, in position order.
    public func switchboardPending() throws -> [Int64: [PendingRow]] {
        var byConversation: [Int64: [PendingRow]] = [:]
        let rows = try query(
            "SELECT conversation, position, body, received_at, media, from_refdesk FROM switchboard_pending ORDER BY conversation, position"
        ) { row in
            (
                try row.int64(0),
                PendingRow(
                    position: try row.int64(1), body: try row.string(2), receivedAt: try row.int64(3), media: try row.string(4),
                    fromRefdesk: try row.int64(5) != 0
                )
            )
        }
        for (conversation, row) in rows { byConversation[conversation, default: []].append(row) }
        return byConversation
    }

    /// Every saved open conversation's state.
    public func switchboardConversations() throws -> [[UInt8]] {
        try query("SELECT state FROM switchboard_conversations ORDER BY id") { try $0.blob(0) }
    }

    /// Records a conversation's history row under the id the switchboard gave it, creating or updating it.
    public func saveConversation(_ record: ConversationRecord) throws {
        try run(
            """
            INSERT INTO conversations (id, queue, gateway_id, patron, state, operator, started_at, answered_at, ended_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT(id) DO UPDATE SET queue = ?2, state = ?5, operator = ?6, answered_at = ?8, ended_at = ?9
            """,
            record.id, record.queueName, record.gatewayID, record.patron, record.state.rawValue, record.operatorName,
            record.startedAt, record.answeredAt, record.endedAt
        )
    }

    /// Keeps a message for an offline queue under the id the switchboard gave it.
    public func insertOffline(
        id: Int64, queue: String, gatewayID: Int64, patron: String, body: String, messageID: String?, sentAt: Int64?, receivedAt: Int64,
        media: String = ""
    ) throws {
        try run(
            """
            INSERT INTO offline_inbox (id, queue, gateway_id, patron, body, message_id, sent_at, received_at, media)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            id, queue, gatewayID, patron, body, messageID, sentAt, receivedAt, media
        )
    }

    /// Every queue's waiting messages, oldest first.
    public func allOfflineEntries() throws -> [OfflineEntry] {
        try query(
            "SELECT id, queue, gateway_id, patron, body, message_id, sent_at, received_at, media FROM offline_inbox ORDER BY id"
        ) { row in
            OfflineEntry(
                id: try row.int64(0),
                queueName: try row.string(1),
                gatewayID: try row.int64(2),
                patron: try row.string(3),
                body: try row.string(4),
                messageID: row.optionalString(5),
                sentAt: row.optionalInt64(6),
                receivedAt: try row.int64(7),
                media: try row.string(8)
            )
        }
    }

    /// Which of `ids` were already made durable (reliable frames seen before).
    public func seenIDs(among ids: [String]) throws -> Set<String> {
        var seen: Set<String> = []
        for id in ids where try queryFirst("SELECT 1 FROM seen_ids WHERE id = ?", id, row: { _ in true }) ?? false {
            seen.insert(id)
        }
        return seen
    }
}
