/// A patron message that reached a queue while it was offline, kept until an operator of
/// that queue is available.
public struct OfflineMessage: Hashable, Sendable, Codable, Identifiable {
    /// Handed out by the switchboard in increasing order.
    public var id: UInt64
    public var queue: QueueName
    public var patron: PatronID
    public var text: String
    /// Media the patron sent with it.
    public var media: [MediaLink]
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
        receivedAt: Timestamp,
        media: [MediaLink] = []
    ) {
        self.id = id
        self.queue = queue
        self.patron = patron
        self.text = text
        self.messageID = messageID
        self.sentAt = sentAt
        self.receivedAt = receivedAt
        self.media = media
    }

    private enum CodingKeys: String, CodingKey {
        case id, queue, patron, text, media, messageID, sentAt, receivedAt
    }

    /// Reads messages saved before media were kept too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UInt64.self, forKey: .id)
        queue = try container.decode(QueueName.self, forKey: .queue)
        patron = try container.decode(PatronID.self, forKey: .patron)
        text = try container.decode(String.self, forKey: .text)
        media = try container.decodeIfPresent([MediaLink].self, forKey: .media) ?? []
        messageID = try container.decode(String.self, forKey: .messageID)
        sentAt = try container.decode(Timestamp.self, forKey: .sentAt)
        receivedAt = try container.decode(Timestamp.self, forKey: .receivedAt)
    }
}
