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
///   resource of any staffing JID, and not auto-logged-out) and the queue is within its
///   opening hours, if it has any; the reported state changes only after it held for the
///   settle time, decided on ticks.
/// - A patron message to an online queue starts (or continues) a conversation, offered by
///   the queue's ``RoutingPolicy``; the first reply makes the replier its owner.
/// - A patron message to an offline queue goes to the offline inbox, with one offline reply
///   per patron per offline spell; the inbox is delivered oldest first, marked with its
///   age, when the queue next comes online.
/// - The ``LoopGuard`` drops messages from gateway accounts and staffing JIDs, and a
///   ping-pong conversation is cut off.
/// - Operators type commands in a conversation (`!transfer`, `!close`, `!canned`, `!who`,
///   `!logout`, `!help`; see ``OperatorCommand``) or pick them from their client's command menu; each is answered
///   with ``Action/notifyOperator(jid:conversation:patron:text:)``.
public struct Switchboard: Sendable {
    var directory: Directory
    var presence = PresenceBook()
    var debouncer: QueuePresenceDebouncer
    var conversations: [ConversationID: Conversation] = [:]
    var inbox: [OfflineMessage]
    /// Who has messages waiting in the inbox, by queue: a new message from them waits behind those (see
    /// `handlePatronMessage`), found without walking the whole inbox.
    var inboxPatrons: [QueueName: Set<PatronID>] = [:]
    var autoReplied: [QueueName: Set<PatronID>] = [:]
    var lastTieWinner: [QueueName: OperatorName]
    var muted: [PatronID: Timestamp] = [:]
    var pingPong: PingPongDetector
    var nextConversationID: UInt64
    var nextOfflineMessageID: UInt64
    /// Converts instants to the local time of opening hours and of times shown to operators.
    let timeZones: any CivilTimeConverter
    /// The last ``recentLineLimit`` transcript lines of each open conversation.
    var recentLines: [ConversationID: [TranscriptLine]] = [:]
    /// When each running auto-logout timer expires.
    var autoLogoutAt: [OperatorName: Timestamp] = [:]
    /// Auto-logged-out operators, with what each resource showed when the timer expired.
    var loggedOut: [OperatorName: [ResourceKey: Show]] = [:]
    /// Conversations changed while handling the current event; each is reported once, at the end.
    var touched: Set<ConversationID> = []
    /// Open conversations whose saved state (the conversation, its recent lines) changed, and conversations that
    /// ended, since the daemon last took them with ``takeUnsaved()``: what it must write, and nothing else.
    var unsaved: Set<ConversationID> = []
    /// Whether a conversation ended since offers were last reconciled (it frees least-busy capacity).
    var endedSinceReconcile = false
    /// Each queue's ``OfferBasis`` when its offers were last reconciled: a queue whose basis is
    /// unchanged needs no walk over its waiting conversations.
    var offerBases: [QueueName: OfferBasis] = [:]
    /// The open conversation of each patron, so a patron message finds it without a walk.
    var openByPatron: [PatronID: ConversationID] = [:]
    /// The open conversations with each patron address, on any gateway: a librarian's message names its patron by
    /// address alone (the node of the patron's JID), and is looked up here instead of in a sorted walk of every chat.
    var openByAddress: [String: Set<ConversationID>] = [:]

    /// How many transcript lines of an open conversation are kept in memory for transfers.
    public static let recentLineLimit = 50

    /// Starts from a configuration (validate it first with
    /// ``Configuration/validate(timeZones:)``) and the state saved by a previous run.
    ///
    /// `timeZones` converts instants to local time for opening hours and for the clock times
    /// shown to operators; the router passes one backed by the system's time-zone data. A
    /// zone it does not know is read as UTC.
    public init(configuration: Configuration, snapshot: Snapshot = .init(), timeZones: any CivilTimeConverter = FixedOffsetTimeZones.utc) {
        self.timeZones = timeZones
        directory = Directory(configuration: configuration)
        debouncer = QueuePresenceDebouncer(settleTime: configuration.settleTime, reported: snapshot.reportedOnline)
        pingPong = PingPongDetector(policy: configuration.pingPong)
        for conversation in snapshot.conversations {
            conversations[conversation.id] = conversation
            openByPatron[conversation.patron] = conversation.id
            openByAddress[conversation.patron.address, default: []].insert(conversation.id)
        }
        inbox = snapshot.offlineInbox.sorted { $0.id < $1.id }
        for entry in inbox { inboxPatrons[entry.queue, default: []].insert(entry.patron) }
        for entry in snapshot.autoReplied { autoReplied[entry.queue, default: []].insert(entry.patron) }
        lastTieWinner = snapshot.lastTieWinner
        for mute in snapshot.muted { muted[mute.patron] = mute.until }
        nextConversationID = max(snapshot.nextConversationID, (conversations.keys.max()?.rawValue ?? 0) + 1)
        nextOfflineMessageID = max(snapshot.nextOfflineMessageID, (inbox.last?.id ?? 0) + 1)
        for entry in snapshot.recentLines where conversations[entry.conversation] != nil {
            recentLines[entry.conversation] = Array(entry.lines.suffix(Self.recentLineLimit))
        }
        for timer in snapshot.autoLogoutTimers { autoLogoutAt[timer.operator] = timer.expiresAt }
        for entry in snapshot.loggedOut {
            loggedOut[entry.operator] = Dictionary(
                entry.showing.map { (ResourceKey(jid: $0.jid, resource: $0.resource), $0.show) },
                uniquingKeysWith: { _, last in last }
            )
        }
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
            nextOfflineMessageID: nextOfflineMessageID,
            recentLines: recentLines.sorted { $0.key < $1.key }.map { Snapshot.RecentLines(conversation: $0.key, lines: $0.value) },
            autoLogoutTimers: autoLogoutAt.sorted { $0.key < $1.key }.map { Snapshot.AutoLogoutTimer(operator: $0.key, expiresAt: $0.value) },
            loggedOut: loggedOutEntries
        )
    }

    private var loggedOutEntries: [Snapshot.LoggedOut] {
        loggedOut.sorted { $0.key < $1.key }.map { name, showing in
            Snapshot.LoggedOut(
                operator: name,
                showing: showing.map { Snapshot.ResourceShow(jid: $0.key.jid, resource: $0.key.resource, show: $0.value) }
                    .sorted { ($0.jid, $0.resource) < ($1.jid, $1.resource) }
            )
        }
    }

    /// Open conversations by id, unsorted and without copying: for persisting only those that changed.
    public var openConversationsByID: [ConversationID: Conversation] { conversations }

    /// The recent transcript lines kept per open conversation (for hand-overs), by conversation.
    public var recentLinesByConversation: [ConversationID: [TranscriptLine]] { recentLines }

    /// The conversations to write since the last call: open ones whose state or recent lines changed (read them with
    /// ``conversation(_:)`` and ``recentTranscript(of:)``), and ended ones (no longer open: delete them). The daemon
    /// saves exactly these, so a commit costs what changed, however many chats are open.
    public mutating func takeUnsaved() -> Set<ConversationID> {
        defer { unsaved = [] }
        return unsaved
    }

    /// The snapshot without conversations, their recent lines and the offline inbox: the small global part the
    /// daemon saves with every change (it keeps those three as rows of their own).
    public var globalSnapshot: Snapshot {
        var small = Snapshot()
        small.autoReplied = autoReplied.flatMap { queue, patrons in patrons.map { Snapshot.AutoReplied(queue: queue, patron: $0) } }
            .sorted { ($0.queue, $0.patron) < ($1.queue, $1.patron) }
        small.reportedOnline = debouncer.reported
        small.lastTieWinner = lastTieWinner
        small.muted = muted.map { Snapshot.Mute(patron: $0.key, until: $0.value) }.sorted { $0.patron < $1.patron }
        small.nextConversationID = nextConversationID
        small.nextOfflineMessageID = nextOfflineMessageID
        small.autoLogoutTimers = autoLogoutAt.sorted { $0.key < $1.key }.map { Snapshot.AutoLogoutTimer(operator: $0.key, expiresAt: $0.value) }
        small.loggedOut = loggedOutEntries
        return small
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
        case .operatorCommand(let from, let conversation, let command, let at):
            actions = handleCommand(command, from: from, conversation: conversation, at: at)
        case .closeConversation(let id, let at):
            if let conversation = conversations[id] {
                actions = end(conversation, at: at)
            } else {
                actions = [.dropped(reason: "cannot close conversation \(id): it is not open")]
            }
        case .configure(let change, let at):
            actions = handleConfigurationChange(change, at: at)
        case .replyFailed(let failure):
            actions = tellWriter(failure)
        case .tick(let at):
            actions = expireAutoLogouts(at: at)
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
    /// an account already in use, opening hours in an unknown time zone), so the admin API
    /// can answer before persisting it.
    public func check(_ change: ConfigurationChange) throws(ConfigurationError) {
        try directory.check(change)
        try Directory.checkTimeZones(of: change, timeZones)
    }

    // MARK: Queries

    /// Open conversations, oldest first.
    public var openConversations: [Conversation] {
        conversations.values.sorted { $0.id < $1.id }
    }

    public func conversation(_ id: ConversationID) -> Conversation? {
        conversations[id]
    }

    /// The open conversations with a patron at `address`, on any gateway, oldest first.
    public func openConversations(patronAddress address: String) -> [Conversation] {
        (openByAddress[address] ?? []).sorted().compactMap { conversations[$0] }
    }

    /// Messages waiting in the offline inbox, oldest first.
    public var offlineInbox: [OfflineMessage] { inbox }

    /// The queue's reported (debounced) presence, as gateways and the presence API see it.
    public func isOnline(_ queue: QueueName) -> Bool {
        debouncer.isReportedOnline(queue)
    }

    /// Whether the operator can be offered new chats right now: available or chat somewhere,
    /// and not auto-logged-out.
    public func isRoutable(_ name: OperatorName) -> Bool {
        guard let op = directory.operators[name], loggedOut[name] == nil else { return false }
        return presence.isRoutable(op.staffingJIDs)
    }

    /// Whether the queue is within its opening hours at `time`; always true for a queue
    /// without opening hours (and false for an unknown queue).
    public func isOpen(_ queue: QueueName, at time: Timestamp) -> Bool {
        guard let configuration = directory.queues[queue] else { return false }
        return configuration.openingHours?.isOpen(at: time, timeZones: timeZones) ?? true
    }

    /// When a queue that is outside its opening hours at `time` opens next; `nil` while it is
    /// within them, when it has no opening hours, or when its schedule is empty.
    public func nextOpening(of queue: QueueName, after time: Timestamp) -> NextOpening? {
        guard !isOpen(queue, at: time), let hours = directory.queues[queue]?.openingHours else { return nil }
        return hours.nextOpening(after: time, timeZones: timeZones)
    }

    /// When the operator's auto-logout timer expires, `nil` when none is running.
    public func autoLogoutTime(of name: OperatorName) -> Timestamp? {
        autoLogoutAt[name]
    }

    /// Until when messages from the patron at `address` (on any gateway) are dropped after a ping-pong cut-off;
    /// `nil` when they are not muted at `time`.
    public func muteEnd(ofAddress address: String, at time: Timestamp) -> Timestamp? {
        muted.filter { $0.key.address == address && $0.value > time }.map(\.value).max()
    }

    /// `HH:MM` in the library's time zone, as operators read clock times.
    public func localClockTime(_ instant: Timestamp) -> String {
        clockTime(instant)
    }

    /// Whether the operator's auto-logout timer expired and they have not come back since.
    public func isAutoLoggedOut(_ name: OperatorName) -> Bool {
        loggedOut[name] != nil
    }

    /// The last transcript lines of an open conversation, oldest first (at most
    /// ``recentLineLimit``), whether or not its queue keeps transcripts.
    public func recentTranscript(of id: ConversationID) -> [TranscriptLine] {
        recentLines[id] ?? []
    }

    // MARK: Shared helpers

    func queueHasRoutableOperator(_ queue: QueueName) -> Bool {
        directory.operators(assignedTo: queue).contains { isRoutable($0.name) }
    }

    /// A queue's actual (not yet debounced) state: a routable operator and open hours.
    func queueIsAvailable(_ queue: QueueName, at time: Timestamp) -> Bool {
        queueHasRoutableOperator(queue) && isOpen(queue, at: time)
    }

    /// Where to offer the operator a new chat; `nil` while they are not routable.
    func newChatResource(of op: Operator) -> FullJID? {
        loggedOut[op.name] == nil ? presence.resourceForNewChat(among: op.staffingJIDs) : nil
    }

    func openConversation(for patron: PatronID) -> Conversation? {
        openByPatron[patron].flatMap { conversations[$0] }
    }

    /// Keeps the line among the conversation's recent lines and has it recorded: with its text for queues that
    /// keep transcripts, without it (who wrote when: what the statistics count) for the others.
    mutating func transcript(_ conversation: Conversation, _ speaker: TranscriptLine.Speaker, _ text: String, at: Timestamp) -> [Action] {
        let line = TranscriptLine(speaker: speaker, text: text, at: at)
        var lines = recentLines[conversation.id] ?? []
        lines.append(line)
        if lines.count > Self.recentLineLimit { lines.removeFirst(lines.count - Self.recentLineLimit) }
        recentLines[conversation.id] = lines
        unsaved.insert(conversation.id)
        guard directory.queues[conversation.queue]?.keepsTranscripts == true else {
            return [.recordTranscript(conversation.id, TranscriptLine(speaker: speaker, text: "", at: at))]
        }
        return [.recordTranscript(conversation.id, line)]
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
        openByPatron[conversation.patron] = conversation.id
        openByAddress[conversation.patron.address, default: []].insert(conversation.id)
        touched.insert(conversation.id)
        unsaved.insert(conversation.id)
    }

    /// Completes a conversation and forgets it; history is the store's business.
    mutating func end(_ conversation: Conversation, at: Timestamp) -> [Action] {
        var ended = conversation
        ended.endedAt = at
        ended.offers = []
        conversations[ended.id] = nil
        if openByPatron[ended.patron] == ended.id { openByPatron[ended.patron] = nil }
        if openByAddress[ended.patron.address]?.remove(ended.id) != nil, openByAddress[ended.patron.address]!.isEmpty {
            openByAddress[ended.patron.address] = nil
        }
        recentLines[ended.id] = nil
        touched.remove(ended.id)
        unsaved.insert(ended.id)
        endedSinceReconcile = true
        pingPong.forget(ended.id)
        return [.conversationChanged(ended)]
    }
}

/// One resource of a staffing JID.
struct ResourceKey: Hashable, Sendable {
    var jid: BareJID
    var resource: String
}
