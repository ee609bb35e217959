/// How a queue hands a new conversation to its operators.
public enum RoutingPolicy: Hashable, Sendable, Codable {
    /// Every routable operator is offered the chat; the first to reply owns it and the
    /// others are told who took it. LibraryH3lp's default, and refdesk's.
    case ringAll
    /// The routable operator with the fewest open chats, below `limit`, is offered the chat;
    /// ties go round-robin. When everyone is at the limit the chat waits as `new` until
    /// someone frees up.
    case leastBusy(limit: Int)
}

/// A queue's settings: how it routes, when it is open, what patrons hear when it is offline,
/// and whether transcripts are kept.
public struct QueueConfiguration: Hashable, Sendable, Codable {
    public var name: QueueName
    public var routing: RoutingPolicy
    /// Sent to a patron once per offline spell when their message reaches the queue while it
    /// is offline. `nil` or empty sends nothing (the message is still stored).
    ///
    /// `{next_open}` in it is replaced by the next opening in the queue's local time
    /// (`Monday 09:00`) when the queue is outside its ``openingHours``, and by `soon` when it
    /// is within them (or has none) and only lacks an available operator.
    public var offlineReply: String?
    /// When the queue takes chats; `nil` means whenever an operator is available. Outside
    /// these hours the queue is offline even while operators are available.
    /// A schedule without intervals keeps the queue closed.
    public var openingHours: OpeningHours?
    /// With this off, only conversation metadata is recorded; message texts are not.
    public var keepsTranscripts: Bool

    public init(
        name: QueueName,
        routing: RoutingPolicy = .ringAll,
        offlineReply: String? = nil,
        openingHours: OpeningHours? = nil,
        keepsTranscripts: Bool = true
    ) {
        self.name = name
        self.routing = routing
        self.offlineReply = offlineReply
        self.openingHours = openingHours
        self.keepsTranscripts = keepsTranscripts
    }
}
