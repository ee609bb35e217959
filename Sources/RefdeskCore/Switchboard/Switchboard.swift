/// refdesk's rules as a state machine: events in, actions out.
///
/// The router daemon feeds it everything that happens (presence, patron and operator
/// messages, admin changes, clock ticks) and carries out the returned ``Action``s in order:
/// sending, persisting, logging. The switchboard does no I/O and reads no clock, so every
/// rule can be tested by driving time by hand, and its durable state can be saved with
/// ``snapshot`` and restored through ``init(configuration:snapshot:)``.
///
/// Rules, in brief:
/// - A queue is online while one assigned operator is routable (available or chat on any
///   resource of any staffing JID); the reported state changes only after it held for the
///   settle time, decided on ticks.
/// - A patron message to an online queue starts (or continues) a conversation, offered by
///   the queue's ``RoutingPolicy``; the first reply makes the replier its owner.
/// - A patron message to an offline queue goes to the offline inbox, with one offline reply
///   per patron per offline spell; the inbox is delivered oldest first, marked with its
///   age, when the queue next comes online.
/// - The ``LoopGuard`` drops messages from gateway accounts and staffing JIDs, and a
///   ping-pong conversation is cut off.
public struct Switchboard: Sendable {
    var directory: Directory
    var presence = PresenceBook()
    var debouncer: QueuePresenceDebouncer
    var conversations: [ConversationID: Conversation] = [:]
    var inbox: [OfflineMessage]
    var autoReplied: [QueueName: Set<PatronID>] = [:]
    var lastTieWinner: [QueueName: OperatorName]
    var muted: [PatronID: Timestamp] = [:]
    var pingPong: PingPongDetector
    var nextConversationID: UInt64
    var nextOfflineMessageID: UInt64
    /// Conversations changed while handling the current event; each is reported once, at the end.
    var touched: Set<ConversationID> = []

    /// Starts from a configuration (validate it first with ``Configuration/validate()``) and
    /// the state saved by a previous run.
    public init(configuration: Configuration, snapshot: Snapshot = .init()) {
        directory = Directory(configuration: configuration)
        debouncer = QueuePresenceDebouncer(settleTime: configuration.settleTime, reported: snapshot.reportedOnline)
        pingPong = PingPongDetector(policy: configuration.pingPong)
        for conversation in snapshot.conversations { conversations[conversation.id] = conversation }
        inbox = snapshot.offlineInbox.sorted { $0.id < $1.id }
        for entry in snapshot.autoReplied { autoReplied[entry.queue, default: []].insert(entry.patron) }
        lastTieWinner = snapshot.lastTieWinner
        for mute in snapshot.muted { muted[mute.patron] = mute.until }
        nextConversationID = max(snapshot.nextConversationID, (conversations.keys.max()?.rawValue ?? 0) + 1)
        nextOfflineMessageID = max(snapshot.nextOfflineMessageID, (inbox.last?.id ?? 0) + 1)
    }

    /// The durable state to persist after handling events.
    public var snapshot: Snapshot {
        Snapshot(
            conversations: openConversations,
            offlineInbox: inbox,
            autoReplied: autoReplied.flatMap { queue, patrons in patrons.map { Snapshot.AutoReplied(queue: queue, patron: $0) } }
                .sorted { ($0.queue, $0.patron) < ($1.queue, $1.patron) },
            reportedOnline: debouncer.reported,
            lastTieWinner: lastTieWinner,
            muted: muted.map { Snapshot.Mute(patron: $0.key, until: $0.value) }.sorted { $0.patron < $1.patron },
            nextConversationID: nextConversationID,
            nextOfflineMessageID: nextOfflineMessageID
        )
    }

    /// The configuration in effect, including changes applied through events.
    public var configuration: Configuration { directory.configuration }

    /// Handles one event and returns what the daemon must do, in order.
    public mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action]
        switch event {
        case .presence(let jid, let resource, let show, let at):
            actions = handlePresence(jid: jid, resource: resource, show: show, at: at)
        case .patronMessage(let message):
            actions = handlePatronMessage(message)
        case .operatorMessage(let from, let conversation, let body, let at):
            actions = handleOperatorMessage(from: from, conversation: conversation, body: body, at: at)
        case .closeConversation(let id, let at):
            if let conversation = conversations[id] {
                actions = end(conversation, at: at)
            } else {
                actions = [.dropped(reason: "cannot close conversation \(id): it is not open")]
            }
        case .configure(let change, let at):
            actions = handleConfigurationChange(change, at: at)
        case .tick(let at):
            actions = []
            pingPong.prune(at: at)
            muted = muted.filter { $0.value > at }
        }
        let time = event.time
        observeQueues(at: time)
        if case .tick = event { actions += settleQueues(at: time) }
        actions += reconcileOffers(at: time)
        actions += touched.sorted().compactMap { conversations[$0].map(Action.conversationChanged) }
        touched = []
        return actions
    }

    /// Refuses a configuration change that would break a rule (unknown names, duplicate ids,
    /// an account already in use), so the admin API can answer before persisting it.
    public func check(_ change: ConfigurationChange) throws(ConfigurationError) {
        try directory.check(change)
    }

    // MARK: Queries

    /// Open conversations, oldest first.
    public var openConversations: [Conversation] {
        conversations.values.sorted { $0.id < $1.id }
    }

    public func conversation(_ id: ConversationID) -> Conversation? {
        conversations[id]
    }

    /// Messages waiting in the offline inbox, oldest first.
    public var offlineInbox: [OfflineMessage] { inbox }

    /// The queue's reported (debounced) presence, as gateways and the presence API see it.
    public func isOnline(_ queue: QueueName) -> Bool {
        debouncer.isReportedOnline(queue)
    }

    /// Whether the operator can be offered new chats right now.
    public func isRoutable(_ name: OperatorName) -> Bool {
        guard let op = directory.operators[name] else { return false }
        return presence.isRoutable(op.staffingJIDs)
    }

    // MARK: Shared helpers

    func queueHasRoutableOperator(_ queue: QueueName) -> Bool {
        directory.operators(assignedTo: queue).contains { presence.isRoutable($0.staffingJIDs) }
    }

    func openConversation(for patron: PatronID) -> Conversation? {
        conversations.values.first { $0.patron == patron }
    }

    func transcript(_ conversation: Conversation, _ speaker: TranscriptLine.Speaker, _ text: String, at: Timestamp) -> [Action] {
        guard directory.queues[conversation.queue]?.keepsTranscripts == true else { return [] }
        return [.recordTranscript(conversation.id, TranscriptLine(speaker: speaker, text: text, at: at))]
    }

    mutating func makeConversation(patron: PatronID, queue: QueueName, at: Timestamp) -> Conversation {
        let conversation = Conversation(id: ConversationID(nextConversationID), queue: queue, patron: patron, startedAt: at)
        nextConversationID += 1
        save(conversation)
        return conversation
    }

    /// Stores a changed open conversation, to be reported once the event is handled.
    mutating func save(_ conversation: Conversation) {
        conversations[conversation.id] = conversation
        touched.insert(conversation.id)
    }

    /// Completes a conversation and forgets it; history is the store's business.
    mutating func end(_ conversation: Conversation, at: Timestamp) -> [Action] {
        var ended = conversation
        ended.endedAt = at
        ended.offers = []
        conversations[ended.id] = nil
        touched.remove(ended.id)
        pingPong.forget(ended.id)
        return [.conversationChanged(ended)]
    }
}
