/// new (no operator yet) → ongoing (an operator answered) → completed.
public enum ConversationState: String, Sendable, CaseIterable {
    case new
    case ongoing
    case completed
}

/// One conversation between a patron and a queue.
public struct ConversationRecord: Sendable, Equatable {
    public var id: Int64
    public var queueName: String
    /// `nil` once the gateway was deleted; the history stays.
    public var gatewayID: Int64?
    public var patron: String
    public var state: ConversationState
    public var operatorName: String?
    public var startedAt: Int64
    public var answeredAt: Int64?
    public var endedAt: Int64?

    public init(
        id: Int64, queueName: String, gatewayID: Int64?, patron: String, state: ConversationState,
        operatorName: String?, startedAt: Int64, answeredAt: Int64?, endedAt: Int64?
    ) {
        self.id = id
        self.queueName = queueName
        self.gatewayID = gatewayID
        self.patron = patron
        self.state = state
        self.operatorName = operatorName
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
    }
}

/// Who a transcript line is from.
public enum MessageDirection: String, Sendable, CaseIterable {
    /// From the patron.
    case inbound = "in"
    /// To the patron.
    case outbound = "out"
    /// Between staff only (transfer notes, system notices); never sent to the patron.
    case note
}

/// One line of a conversation's transcript.
public struct MessageRecord: Sendable, Equatable {
    public var id: Int64
    public var conversationID: Int64
    public var direction: MessageDirection
    public var sender: String
    public var body: String
    /// The network's or bridge's message id, to match delivery reports.
    public var messageID: String?
    public var at: Int64

    public init(id: Int64, conversationID: Int64, direction: MessageDirection, sender: String, body: String, messageID: String?, at: Int64) {
        self.id = id
        self.conversationID = conversationID
        self.direction = direction
        self.sender = sender
        self.body = body
        self.messageID = messageID
        self.at = at
    }
}
