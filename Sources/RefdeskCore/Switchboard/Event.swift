/// Something that happened, fed to ``Switchboard/handle(_:)``. Every event carries the time
/// it happened; the switchboard has no clock of its own.
public enum Event: Hashable, Sendable {
    /// A staffing JID's resource changed presence; `show == nil` means it went unavailable.
    case presence(jid: BareJID, resource: String, show: Show?, at: Timestamp)
    /// A patron wrote to a gateway.
    case patronMessage(PatronMessage)
    /// An operator wrote in a conversation. A body starting with `!` or `/` is an operator command (see
    /// ``OperatorLine``; `!!` and `//` escape a message that really starts with one): `!transfer NAME`, `!close`,
    /// `!canned [NAME]`, `!who [QUEUE]`, `!logout MINUTES|off`, `!help`.
    case operatorMessage(from: FullJID, conversation: ConversationID, body: String, at: Timestamp)
    /// An operator gave a command through their client's command menu (XEP-0050 ad-hoc commands): in a patron's
    /// conversation, or (`conversation == nil`) to a queue's contact. Answered like the typed command.
    case operatorCommand(from: FullJID, conversation: ConversationID?, command: OperatorCommand, at: Timestamp)
    /// The conversation ends (closed by its operator, an admin, or a timeout in the daemon).
    case closeConversation(ConversationID, at: Timestamp)
    /// An admin changed the configuration. Use ``Switchboard/check(_:)`` before persisting it.
    case configure(ConfigurationChange, at: Timestamp)
    /// A librarian's reply did not reach the patron: the bridge refused to send it (the patron opted out) or the
    /// network reported it failed. Its writer is told, in the patron's window.
    case replyFailed(ReplyFailure)
    /// Time passes. Debounced queue presence (including opening and closing hours) and
    /// auto-logout timers are decided on ticks, so the daemon should tick a few times per
    /// settle time (e.g. every 500 ms).
    case tick(at: Timestamp)

    /// When the event happened.
    public var time: Timestamp {
        switch self {
        case .presence(_, _, _, let at), .operatorMessage(_, _, _, let at), .operatorCommand(_, _, _, let at), .closeConversation(_, let at),
            .configure(_, let at), .tick(let at):
            at
        case .patronMessage(let message):
            message.receivedAt
        case .replyFailed(let failure):
            failure.at
        }
    }
}

/// A message from a patron, as a bridge delivered it.
public struct PatronMessage: Hashable, Sendable {
    public var gatewayID: GatewayID
    /// The sender's address as the network gave it; normalised by the switchboard.
    public var sender: String
    /// The text the patron wrote (empty when they sent only media).
    public var body: String
    /// Media sent with it (an MMS picture), by link.
    public var media: [MediaLink]
    /// The bridge's stable id (Twilio's MessageSid or a generated one). De-duplication by id
    /// happens before the switchboard, where the message is made durable.
    public var messageID: String
    /// When the patron sent it, if the network says; otherwise `receivedAt` is used.
    public var sentAt: Timestamp?
    public var receivedAt: Timestamp

    public init(
        gatewayID: GatewayID, sender: String, body: String, media: [MediaLink] = [], messageID: String, sentAt: Timestamp? = nil,
        receivedAt: Timestamp
    ) {
        self.gatewayID = gatewayID
        self.sender = sender
        self.body = body
        self.media = media
        self.messageID = messageID
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}

/// A reply that did not reach its patron, as the router learns it from a bridge's delivery report.
public struct ReplyFailure: Hashable, Sendable {
    public var conversation: ConversationID?
    public var patron: PatronID
    /// Who wrote it.
    public var author: OperatorName
    public var text: String
    /// Why, in plain words, as the bridge put it ("Not sent: the patron texted STOP …").
    public var reason: String
    public var at: Timestamp

    public init(conversation: ConversationID?, patron: PatronID, author: OperatorName, text: String, reason: String, at: Timestamp) {
        self.conversation = conversation
        self.patron = patron
        self.author = author
        self.text = text
        self.reason = reason
        self.at = at
    }
}

/// An admin's change to queues, operators, assignments or gateways.
public enum ConfigurationChange: Hashable, Sendable {
    /// Adds a queue or replaces its settings.
    case putQueue(QueueConfiguration)
    case addOperator(OperatorName)
    /// Adding staffing JIDs is admin-only; the loop guard refuses accounts already in use.
    case addStaffingJID(BareJID, operator: OperatorName)
    case removeStaffingJID(BareJID, operator: OperatorName)
    case assign(OperatorName, queue: QueueName)
    case unassign(OperatorName, queue: QueueName)
    /// A gateway added to an online queue comes online at once.
    case addGateway(Gateway)
    /// A gateway removed from an online queue is signed off first.
    case removeGateway(GatewayID)
}
