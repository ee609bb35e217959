/// The switchboard's durable state, so the daemon can persist it and restore it after a
/// restart without patrons noticing.
///
/// Presence is deliberately absent: after a restart the router re-subscribes and the XMPP
/// server sends everyone's presence again. Until it arrives, the reported queue states
/// keep gateways as they were; the debouncer takes them offline only if nobody comes back
/// within the settle time.
public struct Snapshot: Hashable, Sendable, Codable {
    /// Open (new and ongoing) conversations.
    public var conversations: [Conversation]
    /// Stored offline messages not yet delivered.
    public var offlineInbox: [OfflineMessage]
    /// Patrons who already got the offline reply in their queue's current offline spell.
    public var autoReplied: [AutoReplied]
    /// The queue presence last reported, per queue.
    public var reportedOnline: [QueueName: Bool]
    /// The operator who got the last least-busy tie, per queue.
    public var lastTieWinner: [QueueName: OperatorName]
    /// Patrons whose messages are dropped after a ping-pong cut-off, and until when.
    public var muted: [Mute]
    public var nextConversationID: UInt64
    public var nextOfflineMessageID: UInt64
    /// The last transcript lines of each open conversation (at most
    /// ``Switchboard/recentLineLimit``), kept whether or not the queue keeps transcripts so a
    /// transfer can hand over the conversation so far.
    public var recentLines: [RecentLines]
    /// Running auto-logout timers (`/logout MINUTES`).
    public var autoLogoutTimers: [AutoLogoutTimer]
    /// Operators whose auto-logout timer expired and who have not come back yet.
    public var loggedOut: [LoggedOut]

    /// A patron who got the offline reply of a queue in the current spell.
    public struct AutoReplied: Hashable, Sendable, Codable {
        public var queue: QueueName
        public var patron: PatronID

        public init(queue: QueueName, patron: PatronID) {
            self.queue = queue
            self.patron = patron
        }
    }

    /// A patron muted until a moment.
    public struct Mute: Hashable, Sendable, Codable {
        public var patron: PatronID
        public var until: Timestamp

        public init(patron: PatronID, until: Timestamp) {
            self.patron = patron
            self.until = until
        }
    }

    /// The recent lines of one open conversation, oldest first.
    public struct RecentLines: Hashable, Sendable, Codable {
        public var conversation: ConversationID
        public var lines: [TranscriptLine]

        public init(conversation: ConversationID, lines: [TranscriptLine]) {
            self.conversation = conversation
            self.lines = lines
        }
    }

    /// An operator's auto-logout timer and when it expires.
    public struct AutoLogoutTimer: Hashable, Sendable, Codable {
        public var `operator`: OperatorName
        public var expiresAt: Timestamp

        public init(operator: OperatorName, expiresAt: Timestamp) {
            self.operator = `operator`
            self.expiresAt = expiresAt
        }
    }

    /// An auto-logged-out operator and the presence they showed when the timer expired.
    ///
    /// The presence is kept because after a restart the XMPP server sends everyone's
    /// presence again: presence equal to this is not a change and must not bring them back.
    public struct LoggedOut: Hashable, Sendable, Codable {
        public var `operator`: OperatorName
        public var showing: [ResourceShow]

        public init(operator: OperatorName, showing: [ResourceShow]) {
            self.operator = `operator`
            self.showing = showing
        }
    }

    /// What one resource of a staffing JID showed.
    public struct ResourceShow: Hashable, Sendable, Codable {
        public var jid: BareJID
        public var resource: String
        public var show: Show

        public init(jid: BareJID, resource: String, show: Show) {
            self.jid = jid
            self.resource = resource
            self.show = show
        }
    }

    public init(
        conversations: [Conversation] = [],
        offlineInbox: [OfflineMessage] = [],
        autoReplied: [AutoReplied] = [],
        reportedOnline: [QueueName: Bool] = [:],
        lastTieWinner: [QueueName: OperatorName] = [:],
        muted: [Mute] = [],
        nextConversationID: UInt64 = 1,
        nextOfflineMessageID: UInt64 = 1,
        recentLines: [RecentLines] = [],
        autoLogoutTimers: [AutoLogoutTimer] = [],
        loggedOut: [LoggedOut] = []
    ) {
        self.conversations = conversations
        self.offlineInbox = offlineInbox
        self.autoReplied = autoReplied
        self.reportedOnline = reportedOnline
        self.lastTieWinner = lastTieWinner
        self.muted = muted
        self.nextConversationID = nextConversationID
        self.nextOfflineMessageID = nextOfflineMessageID
        self.recentLines = recentLines
        self.autoLogoutTimers = autoLogoutTimers
        self.loggedOut = loggedOut
    }

    /// Reads snapshots saved before recent lines and auto-logout existed, with those empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        conversations = try container.decode([Conversation].self, forKey: .conversations)
        offlineInbox = try container.decode([OfflineMessage].self, forKey: .offlineInbox)
        autoReplied = try container.decode([AutoReplied].self, forKey: .autoReplied)
        reportedOnline = try container.decode([QueueName: Bool].self, forKey: .reportedOnline)
        lastTieWinner = try container.decode([QueueName: OperatorName].self, forKey: .lastTieWinner)
        muted = try container.decode([Mute].self, forKey: .muted)
        nextConversationID = try container.decode(UInt64.self, forKey: .nextConversationID)
        nextOfflineMessageID = try container.decode(UInt64.self, forKey: .nextOfflineMessageID)
        recentLines = try container.decodeIfPresent([RecentLines].self, forKey: .recentLines) ?? []
        autoLogoutTimers = try container.decodeIfPresent([AutoLogoutTimer].self, forKey: .autoLogoutTimers) ?? []
        loggedOut = try container.decodeIfPresent([LoggedOut].self, forKey: .loggedOut) ?? []
    }
}

extension QueueName: CodingKeyRepresentable {
    public var codingKey: any CodingKey { QueueCodingKey(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) {
        self.init(codingKey.stringValue)
    }

    private struct QueueCodingKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
