/// Conversations and their transcripts.
extension SQLiteConnection {
    /// Starts a conversation in state `new`.
    /// - Returns: its id.
    public func insertConversation(queue: String, gatewayID: Int64?, patron: String, startedAt: Int64) throws -> Int64 {
        try run(
            "INSERT INTO conversations (queue, gateway_id, patron, state, started_at) VALUES (?, ?, ?, 'new', ?)",
            queue, gatewayID, patron, startedAt
        )
        return lastInsertRowID
    }

    /// Stores the mutable part of `record` (queue after a transfer, state, operator, times) under its id.
    public func updateConversation(_ record: ConversationRecord) throws {
        try run(
            "UPDATE conversations SET queue = ?, state = ?, operator = ?, answered_at = ?, ended_at = ? WHERE id = ?",
            record.queueName, record.state.rawValue, record.operatorName, record.answeredAt, record.endedAt, record.id
        )
        guard changes == 1 else { throw StoreError.notFound(table: "conversations", key: "\(record.id)") }
    }

    private static let conversationColumns = "id, queue, gateway_id, patron, state, operator, started_at, answered_at, ended_at"

    private static func conversation(from row: SQLiteRow) throws -> ConversationRecord {
        ConversationRecord(
            id: try row.int64(0),
            queueName: try row.string(1),
            gatewayID: row.optionalInt64(2),
            patron: try row.string(3),
            state: try .decode(try row.string(4), table: "conversations", column: "state"),
            operatorName: row.optionalString(5),
            startedAt: try row.int64(6),
            answeredAt: row.optionalInt64(7),
            endedAt: row.optionalInt64(8)
        )
    }

    /// One conversation, or `nil` when the id is unknown.
    public func conversation(id: Int64) throws -> ConversationRecord? {
        try queryFirst("SELECT \(Self.conversationColumns) FROM conversations WHERE id = ?", id, row: Self.conversation(from:))
    }

    /// Conversations not yet completed, oldest first: what the router restores after a restart.
    public func openConversations() throws -> [ConversationRecord] {
        try query(
            "SELECT \(Self.conversationColumns) FROM conversations WHERE state <> 'completed' ORDER BY id",
            row: Self.conversation(from:)
        )
    }

    /// Appends a line to a conversation's transcript.
    /// - Returns: the message's row id.
    @discardableResult
    public func appendMessage(
        conversation: Int64, direction: MessageDirection, sender: String, body: String, messageID: String?, at time: Int64
    ) throws -> Int64 {
        try run(
            "INSERT INTO messages (conversation_id, direction, sender, body, message_id, at) VALUES (?, ?, ?, ?, ?, ?)",
            conversation, direction.rawValue, sender, body, messageID, time
        )
        return lastInsertRowID
    }

    /// A conversation's transcript in the order it was written.
    public func messages(conversation: Int64) throws -> [MessageRecord] {
        try query(
            "SELECT id, conversation_id, direction, sender, body, message_id, at FROM messages WHERE conversation_id = ? ORDER BY id",
            conversation
        ) { row in
            MessageRecord(
                id: try row.int64(0),
                conversationID: try row.int64(1),
                direction: try .decode(try row.string(2), table: "messages", column: "direction"),
                sender: try row.string(3),
                body: try row.string(4),
                messageID: row.optionalString(5),
                at: try row.int64(6)
            )
        }
    }
}
