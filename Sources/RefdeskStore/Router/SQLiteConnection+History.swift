/// A conversation as the chat history lists it, with its gateway's protocol (gone when the gateway was deleted).
public struct ChatHistoryRow: Sendable, Equatable {
    public var id: Int64
    public var queueName: String
    public var protocolName: String?
    public var patron: String
    public var state: String
    public var operatorName: String?
    public var startedAt: Int64
    public var answeredAt: Int64?
    public var endedAt: Int64?
}

/// Which conversations to list: each filter is optional; times in ms since the epoch, `to` exclusive.
public struct ChatHistoryFilter: Sendable, Equatable {
    public var queue: String?
    public var state: String?
    public var from: Int64?
    public var to: Int64?
    public var limit: Int
    /// Found in the patron's address, the librarian's name or a line's text (ignoring case).
    public var text: String?

    public init(queue: String? = nil, state: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int = 500, text: String? = nil) {
        self.queue = queue
        self.state = state
        self.from = from
        self.to = to
        self.limit = limit
        self.text = text
    }
}

/// The chat history and the waiting work, as admins and dashboards read them.
extension SQLiteConnection {
    /// Conversations matching `filter`, newest first.
    public func chatHistory(_ filter: ChatHistoryFilter) throws -> [ChatHistoryRow] {
        try query(
            """
            SELECT c.id, c.queue, g.protocol, c.patron, c.state, c.operator, c.started_at, c.answered_at, c.ended_at
            FROM conversations c LEFT JOIN gateways g ON g.id = c.gateway_id
            WHERE (?1 IS NULL OR c.queue = ?1) AND (?2 IS NULL OR c.state = ?2)
              AND (?3 IS NULL OR c.started_at >= ?3) AND (?4 IS NULL OR c.started_at < ?4)
              AND (?6 IS NULL OR instr(lower(c.patron), lower(?6)) > 0 OR instr(lower(coalesce(c.operator, '')), lower(?6)) > 0
                   OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND instr(lower(m.body), lower(?6)) > 0))
            ORDER BY c.started_at DESC, c.id DESC LIMIT ?5
            """,
            filter.queue, filter.state, filter.from, filter.to, filter.limit, filter.text
        ) { row in
            ChatHistoryRow(
                id: try row.int64(0), queueName: try row.string(1), protocolName: row.optionalString(2), patron: try row.string(3),
                state: try row.string(4), operatorName: row.optionalString(5), startedAt: try row.int64(6),
                answeredAt: row.optionalInt64(7), endedAt: row.optionalInt64(8)
            )
        }
    }

    /// One conversation as the chat history lists it, or `nil`.
    public func chatHistoryRow(id: Int64) throws -> ChatHistoryRow? {
        try queryFirst(
            """
            SELECT c.id, c.queue, g.protocol, c.patron, c.state, c.operator, c.started_at, c.answered_at, c.ended_at
            FROM conversations c LEFT JOIN gateways g ON g.id = c.gateway_id WHERE c.id = ?
            """,
            id
        ) { row in
            ChatHistoryRow(
                id: try row.int64(0), queueName: try row.string(1), protocolName: row.optionalString(2), patron: try row.string(3),
                state: try row.string(4), operatorName: row.optionalString(5), startedAt: try row.int64(6),
                answeredAt: row.optionalInt64(7), endedAt: row.optionalInt64(8)
            )
        }
    }

    /// The highest conversation id in the history (0 when there is none): new conversations are numbered past it,
    /// so a chat id never names two conversations.
    public func highestConversationID() throws -> Int64 {
        try queryFirst("SELECT coalesce(max(id), 0) FROM conversations") { try $0.int64(0) } ?? 0
    }

    /// Offline inbox messages waiting for a librarian, by queue (queues with none are left out).
    public func offlineInboxDepthByQueue() throws -> [String: Int] {
        let rows = try query("SELECT queue, count(*) FROM offline_inbox GROUP BY queue") { (try $0.string(0), try $0.int(1)) }
        return Dictionary(rows, uniquingKeysWith: +)
    }

    /// Replies no bridge has acknowledged yet, by protocol.
    public func outboxDepthByProtocol() throws -> [String: Int] {
        let rows = try query("SELECT protocol, count(*) FROM outbox GROUP BY protocol") { (try $0.string(0), try $0.int(1)) }
        return Dictionary(rows, uniquingKeysWith: +)
    }
}
