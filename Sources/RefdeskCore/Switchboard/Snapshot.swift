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

    public init(
        conversations: [Conversation] = [],
        offlineInbox: [OfflineMessage] = [],
        autoReplied: [AutoReplied] = [],
        reportedOnline: [QueueName: Bool] = [:],
        lastTieWinner: [QueueName: OperatorName] = [:],
        muted: [Mute] = [],
        nextConversationID: UInt64 = 1,
        nextOfflineMessageID: UInt64 = 1
    ) {
        self.conversations = conversations
        self.offlineInbox = offlineInbox
        self.autoReplied = autoReplied
        self.reportedOnline = reportedOnline
        self.lastTieWinner = lastTieWinner
        self.muted = muted
        self.nextConversationID = nextConversationID
        self.nextOfflineMessageID = nextOfflineMessageID
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
