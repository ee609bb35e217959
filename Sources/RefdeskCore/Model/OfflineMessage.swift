/// A patron message that reached a queue while it was offline, kept until an operator of
/// that queue is available.
public struct OfflineMessage: Hashable, Sendable, Codable, Identifiable {
    /// Handed out by the switchboard in increasing order.
    public var id: UInt64
    public var queue: QueueName
    public var patron: PatronID
    public var text: String
    /// The bridge's stable message id (e.g. Twilio's MessageSid), kept for de-duplication and audit.
    public var messageID: String
    /// When the patron sent it, as far as the gateway knows; its age is measured from here.
    public var sentAt: Timestamp
    /// When the router received it.
    public var receivedAt: Timestamp

    public init(
        id: UInt64,
        queue: QueueName,
        patron: PatronID,
        text: String,
        messageID: String,
        sentAt: Timestamp,
        receivedAt: Timestamp
    ) {
        self.id = id
        self.queue = queue
        self.patron = patron
        self.text = text
        self.messageID = messageID
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}
