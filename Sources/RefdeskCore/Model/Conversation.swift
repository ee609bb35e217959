/// Where a conversation is in its life.
public enum ConversationState: String, Hashable, Sendable, Codable {
    /// No operator yet: offered, or waiting for someone to offer it to.
    case new
    /// An operator owns it and it has not ended.
    case ongoing
    /// It has ended; `duration` is known.
    case completed
}

/// A patron message that no operator has answered yet.
///
/// Kept on the conversation so an operator offered the chat late (they just became
/// available, or a least-busy slot freed up) still sees everything the patron wrote.
public struct PendingMessage: Hashable, Sendable, Codable {
    public var text: String
    public var receivedAt: Timestamp
    /// Media the patron sent with it.
    public var media: [MediaLink]
    /// Refdesk's own words (the conversation so far, leading a chat transferred to a queue), not the patron's.
    public var fromRefdesk: Bool

    public init(text: String, receivedAt: Timestamp, media: [MediaLink] = [], fromRefdesk: Bool = false) {
        self.text = text
        self.receivedAt = receivedAt
        self.media = media
        self.fromRefdesk = fromRefdesk
    }

    /// As shown in the patron's window.
    public var line: WindowLine {
        WindowLine(text: text, media: media, fromRefdesk: fromRefdesk)
    }

    private enum CodingKeys: String, CodingKey {
        case text, receivedAt, media, fromRefdesk
    }

    /// Reads messages saved before media and refdesk's own lines existed too.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        text = try container.decode(String.self, forKey: .text)
        receivedAt = try container.decode(Timestamp.self, forKey: .receivedAt)
        media = try container.decodeIfPresent([MediaLink].self, forKey: .media) ?? []
        fromRefdesk = try container.decodeIfPresent(Bool.self, forKey: .fromRefdesk) ?? false
    }
}

/// An offer of a new conversation to one operator, at the full JID it was sent to.
///
/// The JID is remembered so the operator can later be told at the same place that someone
/// else took the chat.
public struct Offer: Hashable, Sendable, Codable {
    public var `operator`: OperatorName
    public var jid: FullJID

    public init(operator: OperatorName, jid: FullJID) {
        self.operator = `operator`
        self.jid = jid
    }
}

/// One patron's conversation with a queue: new → ongoing → completed.
public struct Conversation: Hashable, Sendable, Codable, Identifiable {
    public var id: ConversationID
    public var queue: QueueName
    public var patron: PatronID
    public var gatewayID: GatewayID { patron.gatewayID }
    /// The operator who answered first; `nil` while new (and for a chat closed unanswered).
    public var `operator`: OperatorName?
    /// When the patron's first message arrived (for a chat from the offline inbox: when it was delivered).
    public var startedAt: Timestamp
    /// When the owner first replied.
    public var answeredAt: Timestamp?
    /// When it ended.
    public var endedAt: Timestamp?
    /// Who it is offered to while new. Empty while it waits for a free operator.
    public var offers: [Offer]
    /// Patron messages received while new, oldest first; cleared once answered. A chat
    /// transferred to a queue starts with one entry holding the conversation so far.
    public var pending: [PendingMessage]
    /// How many of `pending` (from the first) each staffing JID has been given, by an offer or as they came in.
    /// An offer made again (a librarian away and back, a restart, a least-busy slot freed) gives a JID only the
    /// lines it has not had: nobody is given a line twice. Reset with `pending`.
    public var linesGiven: [BareJID: Int]

    public init(
        id: ConversationID,
        queue: QueueName,
        patron: PatronID,
        operator: OperatorName? = nil,
        startedAt: Timestamp,
        answeredAt: Timestamp? = nil,
        endedAt: Timestamp? = nil,
        offers: [Offer] = [],
        pending: [PendingMessage] = [],
        linesGiven: [BareJID: Int] = [:]
    ) {
        self.id = id
        self.queue = queue
        self.patron = patron
        self.operator = `operator`
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.offers = offers
        self.pending = pending
        self.linesGiven = linesGiven
    }

    private enum CodingKeys: String, CodingKey {
        case id, queue, patron, `operator`, startedAt, answeredAt, endedAt, offers, pending, linesGiven
    }

    /// Reads conversations saved before `linesGiven` existed too: then each JID offered the chat had been given
    /// every pending line, which is what offers did.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(ConversationID.self, forKey: .id)
        queue = try container.decode(QueueName.self, forKey: .queue)
        patron = try container.decode(PatronID.self, forKey: .patron)
        `operator` = try container.decodeIfPresent(OperatorName.self, forKey: .operator)
        startedAt = try container.decode(Timestamp.self, forKey: .startedAt)
        answeredAt = try container.decodeIfPresent(Timestamp.self, forKey: .answeredAt)
        endedAt = try container.decodeIfPresent(Timestamp.self, forKey: .endedAt)
        let offers = try container.decode([Offer].self, forKey: .offers)
        let pending = try container.decode([PendingMessage].self, forKey: .pending)
        self.offers = offers
        self.pending = pending
        linesGiven = try container.decodeIfPresent([BareJID: Int].self, forKey: .linesGiven)
            ?? Dictionary(offers.map { ($0.jid.bare, pending.count) }, uniquingKeysWith: max)
    }

    /// The pending lines `jid` has not been given yet, oldest first.
    public func linesNotGiven(to jid: BareJID) -> ArraySlice<PendingMessage> {
        pending[min(linesGiven[jid] ?? 0, pending.count)...]
    }

    /// Records that `jid` now has every pending line.
    mutating func gaveEveryLine(to jid: BareJID) {
        linesGiven[jid] = pending.count
    }

    /// Starts the pending list afresh (answered, or handed to another queue): nobody has been given any of it.
    mutating func replacePending(with messages: [PendingMessage]) {
        pending = messages
        linesGiven = [:]
    }

    /// Derived from which timestamps are set, so it can never disagree with them.
    public var state: ConversationState {
        if endedAt != nil { return .completed }
        return `operator` == nil ? .new : .ongoing
    }

    /// How long the operator spent on it: from their first reply to the end.
    /// `nil` until completed; zero for a chat closed before anyone answered.
    public var duration: Duration? {
        guard let endedAt else { return nil }
        guard let answeredAt else { return .zero }
        return endedAt - answeredAt
    }

    /// How long the patron waited for the first reply.
    public var waitTime: Duration? {
        answeredAt.map { $0 - startedAt }
    }

    func isOffered(to name: OperatorName) -> Bool {
        offers.contains { $0.operator == name }
    }
}
