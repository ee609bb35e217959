/// A line to a librarian, durable from the commit that decided it until its librarian has it.
public struct LibrarianLineRecord: Hashable, Sendable {
    /// Sending order across restarts: lines to one librarian go in this order.
    public var seq: Int64
    /// The stanza id: the same on every resend, so a client shows a repeat once.
    public var id: String
    /// The librarian's bare JID.
    public var recipient: String
    /// The full JID it was addressed to (the resource it was offered at).
    public var to: String
    /// The JID it comes from: the patron's address on the component, a queue's, or the component's domain.
    public var from: String
    public var body: String
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    /// Refdesk's own words (an answer or a notice), marked so they are never taken for the patron's.
    public var fromRefdesk: Bool
    /// A picture or other media the patron sent, offered to the client as an out-of-band link (XEP-0066) to show in
    /// place; the body is then the link itself.
    public var mediaURL: String?
    /// The patron's nickname (XEP-0172), sent with lines from their address: "SMS +1 555-123-4567".
    public var nick: String?

    public init(
        seq: Int64, id: String, recipient: String, to: String, from: String, body: String, createdAt: Int64, fromRefdesk: Bool = false,
        mediaURL: String? = nil, nick: String? = nil
    ) {
        self.nick = nick
        self.fromRefdesk = fromRefdesk
        self.mediaURL = mediaURL
        self.seq = seq
        self.id = id
        self.recipient = recipient
        self.to = to
        self.from = from
        self.body = body
        self.createdAt = createdAt
    }
}

/// A reply a librarian wrote to a patron, kept so a failure reported later can be brought back to its writer.
public struct LibrarianReplyRecord: Hashable, Sendable {
    public var messageID: String
    public var conversationID: Int64?
    public var gatewayID: Int64
    public var patron: String
    public var `operator`: String
    public var body: String
    public var createdAt: Int64

    public init(messageID: String, conversationID: Int64?, gatewayID: Int64, patron: String, operator: String, body: String, createdAt: Int64) {
        self.messageID = messageID
        self.conversationID = conversationID
        self.gatewayID = gatewayID
        self.patron = patron
        self.operator = `operator`
        self.body = body
        self.createdAt = createdAt
    }
}

/// Lines to librarians until they arrive, the clients known to answer delivery receipts, and who wrote which reply.
extension SQLiteConnection {
    public func insertLibrarianLine(_ line: LibrarianLineRecord) throws {
        try run(
            """
            INSERT INTO librarian_outbox (seq, id, recipient, to_jid, from_jid, body, created_at, from_refdesk, media_url, nick)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            line.seq, line.id, line.recipient, line.to, line.from, line.body, line.createdAt, line.fromRefdesk ? 1 : 0, line.mediaURL, line.nick
        )
    }

    /// Forgets lines that arrived (or that will never be known to have arrived).
    public func deleteLibrarianLines(ids: [String]) throws {
        for id in ids { try run("DELETE FROM librarian_outbox WHERE id = ?", id) }
    }

    /// Every line not yet known to have arrived, in sending order.
    public func librarianLines() throws -> [LibrarianLineRecord] {
        try query(
            "SELECT seq, id, recipient, to_jid, from_jid, body, created_at, from_refdesk, media_url, nick FROM librarian_outbox ORDER BY seq"
        ) { row in
            LibrarianLineRecord(
                seq: try row.int64(0), id: try row.string(1), recipient: try row.string(2), to: try row.string(3),
                from: try row.string(4), body: try row.string(5), createdAt: try row.int64(6), fromRefdesk: try row.int64(7) != 0,
                mediaURL: row.optionalString(8), nick: row.optionalString(9)
            )
        }
    }

    /// Lines waiting for their librarians (a health figure: it grows while a librarian is away or the link is down).
    public func librarianOutboxDepth() throws -> Int {
        try queryFirst("SELECT count(*) FROM librarian_outbox") { try $0.int(0) } ?? 0
    }

    /// Records that `jid` (bare) answers delivery receipts; repeating it changes nothing.
    public func addReceiptClient(_ jid: String, at time: Int64) throws {
        try run("INSERT OR IGNORE INTO receipt_clients (jid, since) VALUES (?, ?)", jid, time)
    }

    /// Bare JIDs whose clients answer delivery receipts.
    public func receiptClients() throws -> Set<String> {
        Set(try query("SELECT jid FROM receipt_clients") { try $0.string(0) })
    }

    public func insertLibrarianReply(_ reply: LibrarianReplyRecord) throws {
        try run(
            """
            INSERT OR IGNORE INTO librarian_replies (message_id, conversation_id, gateway_id, patron, operator, body, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            reply.messageID, reply.conversationID, reply.gatewayID, reply.patron, reply.operator, reply.body, reply.createdAt
        )
    }

    public func librarianReply(messageID: String) throws -> LibrarianReplyRecord? {
        try queryFirst(
            "SELECT message_id, conversation_id, gateway_id, patron, operator, body, created_at FROM librarian_replies WHERE message_id = ?",
            messageID
        ) { row in
            LibrarianReplyRecord(
                messageID: try row.string(0), conversationID: row.optionalInt64(1), gatewayID: try row.int64(2),
                patron: try row.string(3), operator: try row.string(4), body: try row.string(5), createdAt: try row.int64(6)
            )
        }
    }

    /// Forgets replies written before `time`: networks report failures within hours, not days.
    @discardableResult
    public func pruneLibrarianReplies(before time: Int64) throws -> Int {
        try run("DELETE FROM librarian_replies WHERE created_at < ?", time)
        return changes
    }
}
