/// Something the daemon must do (send, persist, log) because of an event. The switchboard
/// has already updated its own state; actions are listed in the order to carry them out.
public enum Action: Hashable, Sendable {
    /// A queue's debounced presence changed; tell presence subscribers (and the presence API).
    case queuePresenceChanged(QueueName, online: Bool)
    /// Sign a gateway on or off, following its queue.
    case setGatewayOnline(GatewayID, online: Bool)
    /// Offer a new conversation to an operator at `jid`, showing what the patron has written that this JID has not
    /// been given before (for a chat transferred from another queue: first the conversation so far, as refdesk's
    /// words). `lines` is empty when an offer is made again to a JID that already has every line: nothing is sent then.
    case offerToOperator(OperatorName, jid: FullJID, conversation: ConversationID, patron: PatronID, lines: [WindowLine])
    /// Relay a patron's message (with any media) to an operator, in the patron's window.
    case sendToOperator(jid: FullJID, conversation: ConversationID, patron: PatronID, line: WindowLine)
    /// Send text to a patron through their gateway; `conversation` is `nil` for the offline reply. `author` is the
    /// operator who wrote it (`nil` for refdesk's own notices), who is told if it does not reach the patron.
    case sendToPatron(PatronID, conversation: ConversationID?, text: String, author: OperatorName?)
    /// Make this message durable in the offline inbox.
    case storeOffline(OfflineMessage)
    /// The inbox message has been handed to a conversation; remove it from the inbox.
    case deliverOffline(id: UInt64, conversation: ConversationID)
    /// Persist the conversation's new state (history, open-chat list).
    case conversationChanged(Conversation)
    /// Append to the conversation's transcript. For queues that keep no transcripts the line comes without its text:
    /// who wrote when is metadata (the statistics count it), what they wrote is not kept.
    case recordTranscript(ConversationID, TranscriptLine)
    /// Tell an operator something from refdesk itself ("Alice took this chat"): in the patron's window (from the
    /// patron's address, even when the conversation has just ended) when there is one, else from refdesk's domain.
    case notifyOperator(jid: FullJID, conversation: ConversationID?, patron: PatronID?, text: String)
    /// An admin's change was refused; the reason is for the admin.
    case configurationRefused(ConfigurationChange, reason: String)
    /// The event was ignored; the reason is for the log.
    case dropped(reason: String)
}

/// One line of a conversation's transcript.
public struct TranscriptLine: Hashable, Sendable, Codable {
    public enum Speaker: Hashable, Sendable, Codable {
        case patron
        case `operator`(OperatorName)
    }

    public var speaker: Speaker
    public var text: String
    public var at: Timestamp

    public init(speaker: Speaker, text: String, at: Timestamp) {
        self.speaker = speaker
        self.text = text
        self.at = at
    }
}
