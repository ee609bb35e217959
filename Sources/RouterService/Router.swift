import BridgeProtocol
import BridgeTransport
import DaemonSupport
import FoundationEssentials
import Logging
import RefdeskCore
import RefdeskStore
import XMPPComponent

/// The router: owns all state and every decision.
///
/// Events (a patron's message from a bridge, operator presence, a clock tick) go through the pure `Switchboard`;
/// the actions it returns are made durable in one SQLite commit, and only then carried out (frames to bridges,
/// and later stanzas to operators) and acknowledged. A failed commit stops the router: memory would otherwise
/// disagree with the database, and a restart reloads the truth from it.
public actor Router {
    /// The bridges refdesk ships: the admin API creates gateways for these. `test` is refdesk-testbridge's, used
    /// by the test suite and the demo.
    public static let knownProtocols: Set<String> = ["twilio", "aim", "test"]

    var switchboard: Switchboard
    let database: DatabaseExecutor
    var gateways: [GatewayID: GatewayRecord]
    var sessions: [String: BridgeSession] = [:]
    /// Each gateway's state as its bridge reported it (see RouterGatewayStates.swift).
    var gatewayStates: GatewayStateBook
    let logger: Logger
    let now: @Sendable () -> Int64
    var storageFailure: (any Error)?
    /// The XMPP side, once attached (a router without `[xmpp]` in its config serves bridges only).
    var xmpp: XMPPLink?
    /// Full JIDs of staffing resources currently seen connected (any show), to mark them gone when the XMPP link
    /// drops and to know where a waiting line can go.
    var availableResources: Set<FullJID> = []
    /// The staffing JIDs (bare) each open conversation's patron was last shown available to (directed presence).
    var patronPresenceSent: [ConversationID: Set<String>] = [:]
    /// "queueJID contactJID" pairs whose presence subscription the contact approved.
    var approvedSubscriptions: Set<String> = []
    var lastSubscriptionRequest: Int64 = 0
    /// Lines to librarians from their commit until they arrive.
    var librarianOutbox: LibrarianOutbox
    /// The next line's place in the sending order (continues the database's).
    var nextLineSeq: Int64
    /// Until when what the router knows of presence is not yet the truth (ms): after a start and after the XMPP link
    /// came back, until the staffing JIDs have answered the probes (see `RouterPresenceGate.swift`).
    var presenceGate: PresenceGate
    /// Stanza ids are this process's random prefix and a counter: unique across restarts, cheap to make.
    let stanzaIDPrefix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    var stanzaCounter: UInt64 = 0
    /// When old dedupe ids and reply records were last pruned (ms).
    var lastPrune: Int64 = 0
    /// Where librarians' messages' commits go to be completed in order (see `RouterCommitCompletion`).
    var completions: AsyncStream<SubmittedCommit>.Continuation?
    var completionsWaiting = 0
    var completionRoom: [CheckedContinuation<Void, Never>] = []
    /// What the database holds of each open conversation's pending lines (how many, the last), so a commit writes
    /// only the new ones. Holding the lists themselves here would make every append to one copy it whole.
    var savedPending: [ConversationID: PendingMark] = [:]
    /// The switchboard's global state as last written: most commits leave it as it was, and then skip encoding it.
    var savedGlobal: Snapshot?
    /// Dedupe ids of writes queued but not yet committed (added and checked only while holding the ingest turn,
    /// removed once their write finished), so a check need not wait for those commits (see `alreadySeen`).
    var seenInFlight: Set<String> = []
    private var ingestBusy = false
    private var ingestWaiters: [CheckedContinuation<Void, Never>] = []

    private init(
        switchboard: Switchboard,
        database: DatabaseExecutor,
        gateways: [GatewayRecord],
        librarianLines: [LibrarianLineRecord],
        receiptClients: Set<String>,
        logger: Logger,
        now: @escaping @Sendable () -> Int64
    ) {
        self.switchboard = switchboard
        self.database = database
        self.gateways = Dictionary(uniqueKeysWithValues: gateways.map { (GatewayID(UInt64($0.id)), $0) })
        self.librarianOutbox = LibrarianOutbox(restoring: librarianLines, receiptClients: receiptClients)
        self.nextLineSeq = (librarianLines.map(\.seq).max() ?? 0) + 1
        self.presenceGate = PresenceGate(openAt: 0)
        self.logger = logger
        self.now = now
        gatewayStates = GatewayStateBook(startedAt: now())
    }

    /// Opens the database (refusing a corrupt or newer one) and restores the rules state saved in it.
    public static func open(
        configuration: RouterConfiguration,
        logger: Logger,
        now: @escaping @Sendable () -> Int64 = WallClock.milliseconds
    ) async throws -> Router {
        let database = try DatabaseExecutor(path: configuration.databasePath, migrations: RouterSchema.migrations, logger: logger)
        let loaded = try await database.read { connection in
            (
                queues: try connection.allQueues(),
                operators: try connection.allOperators(),
                jids: try connection.staffingJIDs(),
                assignments: try connection.assignments(),
                gateways: try connection.gateways(),
                state: try connection.switchboardState(),
                conversations: try connection.switchboardConversations(),
                pending: try connection.switchboardPending(),
                inbox: try connection.allOfflineEntries(),
                librarianLines: try connection.librarianLines(),
                receiptClients: try connection.receiptClients(),
                highestChat: try connection.highestConversationID()
            )
        }
        let coreConfiguration = try StateMapping.configuration(
            queues: loaded.queues,
            operators: loaded.operators,
            jids: loaded.jids,
            assignments: loaded.assignments,
            gateways: loaded.gateways,
            settings: configuration
        )
        var snapshot = Snapshot()
        if let bytes = loaded.state {
            snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(bytes))
        }
        var savedWithInlinePending: Set<ConversationID> = []
        for bytes in loaded.conversations {
            var saved = try JSONDecoder().decode(PersistedConversation.self, from: Data(bytes))
            if let rows = loaded.pending[Int64(saved.conversation.id.rawValue)] {
                saved.conversation.pending = rows.map {
                    PendingMessage(
                        text: $0.body, receivedAt: Timestamp(millisecondsSinceEpoch: $0.receivedAt), media: StateMapping.media(decoding: $0.media),
                        fromRefdesk: $0.fromRefdesk
                    )
                }
            } else if !saved.conversation.pending.isEmpty {
                savedWithInlinePending.insert(saved.conversation.id)
            }
            snapshot.conversations.append(saved.conversation)
            if !saved.recentLines.isEmpty {
                snapshot.recentLines.append(Snapshot.RecentLines(conversation: saved.conversation.id, lines: saved.recentLines))
            }
        }
        snapshot.offlineInbox = loaded.inbox.map(StateMapping.offlineMessage)
        if let highest = snapshot.offlineInbox.map(\.id).max(), highest >= snapshot.nextOfflineMessageID {
            snapshot.nextOfflineMessageID = highest + 1
        }
        // A chat id names one conversation for good: new ones are numbered past every id in the history.
        snapshot.nextConversationID = max(snapshot.nextConversationID, UInt64(max(0, loaded.highestChat)) + 1)
        if let refusal = StoredAccountCollisions.validate(coreConfiguration, gateways: loaded.gateways, jids: loaded.jids) { throw refusal }
        let switchboard = Switchboard(configuration: coreConfiguration, snapshot: snapshot, timeZones: SystemTimeZones())
        logger.info(
            "state restored",
            metadata: [
                "queues": "\(loaded.queues.count)", "gateways": "\(loaded.gateways.count)",
                "open_conversations": "\(snapshot.conversations.count)", "offline_inbox": "\(snapshot.offlineInbox.count)",
                "lines_to_librarians": "\(loaded.librarianLines.count)",
            ]
        )
        let router = Router(
            switchboard: switchboard, database: database, gateways: loaded.gateways, librarianLines: loaded.librarianLines,
            receiptClients: loaded.receiptClients, logger: logger, now: now
        )
        await router.markStateSaved(withoutPendingRows: savedWithInlinePending)
        return router
    }

    /// Records what the database holds of the restored conversations' pending lines. `withoutPendingRows` names
    /// conversations saved before pending lines had rows of their own: recorded as having none, so the next commit
    /// that touches them writes theirs.
    private func markStateSaved(withoutPendingRows: Set<ConversationID>) {
        for (id, conversation) in switchboard.openConversationsByID {
            savedPending[id] = PendingMark(withoutPendingRows.contains(id) ? [] : conversation.pending)
        }
    }

    /// Finishes queued database work and closes the database.
    public func close() async {
        for session in sessions.values { session.close(.shuttingDown, reason: "the router is stopping") }
        sessions.removeAll()
        await database.close()
    }

    // MARK: Bridges

    /// The gateways a bridge of `protocolName` serves, with their desired online state.
    func gatewayDescriptors(protocolName: String) -> [GatewayDescriptor] {
        gateways.values
            .filter { $0.network == protocolName }
            .sorted { $0.id < $1.id }
            .map(descriptor)
    }

    func descriptor(_ record: GatewayRecord) -> GatewayDescriptor {
        GatewayDescriptor(
            id: UInt64(record.id),
            protocolName: record.network,
            queue: record.queueName,
            username: record.username,
            secret: record.secret,
            online: switchboard.isOnline(QueueName(record.queueName))
        )
    }

    /// Protocols a bridge may connect for: the shipped bridges', and any other that a gateway in the database
    /// names. The bridge protocol is the same for every network, so a bridge for a new one needs only its gateways.
    func servedProtocols() -> Set<String> {
        Self.knownProtocols.union(gateways.values.map(\.network))
    }

    /// Registers a bridge's session (replacing an older one of the same protocol) and returns its gateways.
    func register(_ session: BridgeSession, protocolName: String) -> [GatewayDescriptor] {
        if let previous = sessions[protocolName], previous !== session {
            logger.warning("a second bridge connected for the same protocol; closing the older one", metadata: ["protocol": "\(protocolName)"])
            previous.close(.protocolViolation, reason: "replaced by a newer connection for protocol \(protocolName)")
        }
        sessions[protocolName] = session
        bridgeConnected(protocolName: protocolName)
        return gatewayDescriptors(protocolName: protocolName)
    }

    func unregister(_ session: BridgeSession, protocolName: String) {
        if sessions[protocolName] === session {
            sessions[protocolName] = nil
            bridgeDisconnected(protocolName: protocolName)
        }
    }

    /// Decides a run of a bridge's frames (patron messages, delivery reports) and returns once the decisions are made and their write is queued; the
    /// returned write ends when they are durable (ack them then).
    ///
    /// Runs are decided one at a time (a reconnecting bridge may resend a run whose first copy is still being
    /// committed), ids already acted on are skipped, and the rest go through the switchboard into one write with
    /// their effects. The effects are carried out after the commit by the commit completion, in order with every
    /// other decision's, whether or not the bridge is still connected.
    func submitIngest(_ messages: [BridgeMessage], protocolName: String) async throws -> PendingWrite<Void> {
        await presenceKnown()
        await acquireIngest()
        var holding = true
        defer { if holding { releaseIngest() } }
        if let storageFailure { throw storageFailure }
        let seen = try await alreadySeen(messages.compactMap(\.reliableID))
        let time = now()
        var changes = StoreChanges(time: time)
        var handled: Set<String> = []
        var fresh: [BridgeMessage] = []
        for message in messages {
            guard let id = message.reliableID, !seen.contains(id), handled.insert(id).inserted else { continue }
            changes.seen.append(id)
            fresh.append(message)
            switch message {
            case .messageReceived(let inbound):
                let gatewayID = GatewayID(inbound.gatewayID)
                guard let gateway = gateways[gatewayID], gateway.network == protocolName else {
                    logger.warning(
                        "message for an unknown gateway dropped",
                        metadata: ["gateway": "\(inbound.gatewayID)", "protocol": "\(protocolName)", "id": "\(id)"]
                    )
                    continue
                }
                let event = Event.patronMessage(
                    PatronMessage(
                        gatewayID: gatewayID,
                        sender: inbound.from,
                        body: inbound.body,
                        media: inbound.media.map { MediaLink(url: $0.url, contentType: $0.contentType) },
                        messageID: inbound.id,
                        sentAt: inbound.sentAt > 0 ? Timestamp(millisecondsSinceEpoch: inbound.sentAt) : nil,
                        receivedAt: Timestamp(millisecondsSinceEpoch: time)
                    )
                )
                stage(switchboard.handle(event), into: &changes)
            case .deliveryStatus(let report):
                changes.deliveries.append(report)
                if report.status == .failed, let failure = try await replyFailure(report, at: time) {
                    stage(switchboard.handle(.replyFailed(failure)), into: &changes)
                }
            default:
                continue
            }
        }
        // The next batch (from this bridge or another) may be handled while this one commits: its write queues
        // behind this one, its check finds these ids in flight, and both share one fsync. The bridge is acked only
        // once the write is durable. Handed over before the turn is released, so effects follow decisions' order.
        let write = try submit(changes)
        MessageCounting.count(fresh, protocolName: protocolName)
        await handOver(write, changes)
        releaseIngest()
        holding = false
        return write
    }

    /// Read from what is committed: a bridge is woken for new rows only after their commit (`complete`), and rows
    /// are numbered in commit order, so reading past a commit in progress misses nothing.
    func pendingOutbound(protocolName: String, afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        let records = try await database.readCommitted { try $0.pendingOutbound(protocol: protocolName, afterSeq: afterSequence, limit: limit) }
        return records.map { record in
            SequencedMessage(
                sequence: record.seq,
                message: .sendMessage(OutboundMessage(id: record.id, gatewayID: UInt64(record.gatewayID), to: record.recipient, body: record.body))
            )
        }
    }

    func acknowledgeOutbound(ids: [String]) async throws {
        // Forgetting what a bridge has: lost to a power cut, the frame goes again and the bridge knows its id.
        let acknowledged = try await database.write(durability: .deferredSync) { try $0.acknowledgeOutbound(ids: ids) }
        var counts: [String: [Int64: Int64]] = [:]
        for message in acknowledged { counts[message.protocolName, default: [:]][message.gatewayID, default: 0] += 1 }
        for (protocolName, gateways) in counts {
            for (gatewayID, count) in gateways {
                MessageCounting.countReplies(count, protocolName: protocolName, gatewayID: gatewayID)
            }
        }
    }

    // MARK: Time

    /// Lets the switchboard decide what depends on time (debounced queue presence, timers).
    public func tick() async throws {
        if let storageFailure { throw storageFailure }
        renewPendingSubscriptions()
        let time = now()
        openPresenceGateIfDue()
        try await expireUnconfirmedLines(now: time)
        try await pruneOldRecords(now: time)
        var changes = StoreChanges(time: time)
        stage(switchboard.handle(.tick(at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        guard !changes.isEmpty else { return }
        try await commit(changes)
    }

    // MARK: Carrying out actions

    /// Makes `changes` durable, then carries out what they ask of the world.
    func commit(_ changes: StoreChanges) async throws {
        try await complete(try submit(changes), changes)
    }

    /// Queues `changes` (with the switchboard state they leave) as one write, in the database's order, and returns
    /// at once: the caller may let the next batch start while this one commits, and the database then commits
    /// both in one group. Finish with `complete(_:_:)`.
    func submit(_ changes: StoreChanges) throws -> PendingWrite<Void> {
        let state = try unsavedState()
        let rows = changes
        let write = database.submitWrite { connection in
            try rows.apply(to: connection, state: state)
        }
        seenInFlight.formUnion(changes.seen)
        return write
    }

    /// Waits until a submitted write is durable, then carries out what its changes ask of the world. A failed
    /// write stops the router: memory would otherwise disagree with the database.
    func complete(_ write: PendingWrite<Void>, _ changes: StoreChanges) async throws {
        do {
            defer { seenInFlight.subtract(changes.seen) }
            try await write.value()
        } catch {
            logger.critical("cannot save state; stopping so a restart reloads it from the database", metadata: ["error": "\(error)"])
            storageFailure = error
            throw error
        }
        for protocolName in changes.outboxProtocols {
            sessions[protocolName]?.outboxChanged()
        }
        for (gatewayID, online) in changes.gatewayOnline {
            guard let gateway = gateways[gatewayID] else { continue }
            sessions[gateway.network]?.send(.setGatewayOnline(id: gatewayID.rawValue, online: online))
        }
        for stanza in changes.stanzas { xmpp?.connection.send(stanza) }
        await linesCommitted(changes.librarianLines)
        for line in changes.log {
            logger.log(level: line.level, "\(line.message)", metadata: line.metadata)
        }
    }

    /// The switchboard's state to save: the small global part when it changed, and the conversations the switchboard says
    /// changed or ended since the last commit, so a commit's cost follows what changed, not how many chats are open.
    /// What it writes is taken as saved at once: a commit that fails stops the router, which then reloads the truth.
    private func unsavedState() throws -> StateRows {
        let encoder = JSONEncoder()
        var rows = StateRows()
        let global = switchboard.globalSnapshot
        if global != savedGlobal {
            rows.global = Array(try encoder.encode(global))
            savedGlobal = global
        }
        for id in switchboard.takeUnsaved().sorted() {
            let key = Int64(id.rawValue)
            guard let conversation = switchboard.conversation(id) else {
                rows.closed.append(key)
                savedPending[id] = nil
                continue
            }
            let saved = PersistedConversation(conversation: conversation.withoutPending, recentLines: switchboard.recentTranscript(of: id))
            rows.conversations.append((key, try saved.encoded(with: encoder)))
            // Pending lines only grow, one at a time, until the list is replaced (answered, transferred): write the new
            // ones, or all of them after a replacement.
            let mark = savedPending[id]
            var first = mark?.count ?? 0
            if let mark, !mark.isPrefix(of: conversation.pending) {
                rows.pendingResets.append(key)
                first = 0
            }
            for position in first..<conversation.pending.count {
                let message = conversation.pending[position]
                rows.pendingRows.append(
                    (
                        key,
                        PendingRow(
                            position: Int64(position), body: message.text, receivedAt: message.receivedAt.millisecondsSinceEpoch,
                            media: StateMapping.media(encoding: message.media), fromRefdesk: message.fromRefdesk
                        )
                    )
                )
            }
            savedPending[id] = PendingMark(conversation.pending)
        }
        return rows
    }

    /// Turns the switchboard's actions into rows to commit and effects to carry out after the commit.
    func stage(_ actions: [Action], into changes: inout StoreChanges) {
        for action in actions {
            switch action {
            case .queuePresenceChanged(let queue, let online):
                changes.log.append(.init(level: .info, message: online ? "queue online" : "queue offline", metadata: ["queue": "\(queue)"]))
                changes.stanzas += queuePresence(queue, online: online)
            case .setGatewayOnline(let id, let online):
                changes.gatewayOnline.append((id, online))
            case .sendToPatron(let patron, let conversation, let text, let author):
                guard let gateway = gateways[patron.gatewayID] else {
                    changes.log.append(.init(level: .warning, message: "reply for a removed gateway dropped", metadata: ["gateway": "\(patron.gatewayID)"]))
                    continue
                }
                let id = MessageID.generate()
                let conversationID = conversation.map { Int64($0.rawValue) }
                changes.outbox.append(
                    OutboxInsert(
                        id: id, protocolName: gateway.network, gatewayID: gateway.id, recipient: patron.address, body: text,
                        conversation: conversationID
                    )
                )
                changes.outboxProtocols.insert(gateway.network)
                if let author {
                    changes.replies.append(
                        LibrarianReplyRecord(
                            messageID: id, conversationID: conversationID, gatewayID: gateway.id, patron: patron.address,
                            operator: author.rawValue, body: text, createdAt: changes.time
                        )
                    )
                }
            case .storeOffline(let message):
                changes.offlineInserts.append(StateMapping.offlineEntry(message))
            case .deliverOffline(let id, _):
                changes.offlineDeletes.append(Int64(id))
            case .conversationChanged(let conversation):
                changes.conversations.append(StateMapping.conversationRecord(conversation))
                changes.stanzas += patronPresenceChanges(for: conversation)
            case .recordTranscript(let conversation, let line):
                changes.transcripts.append(StateMapping.transcript(line, conversation: conversation))
            case .offerToOperator(_, let jid, _, let patron, let lines):
                for line in lines { stageLines(to: jid, from: patron, line, into: &changes) }
            case .sendToOperator(let jid, _, let patron, let line):
                stageLines(to: jid, from: patron, line, into: &changes)
            case .notifyOperator(let jid, _, let patron, let text):
                stageLines(to: jid, from: patron, WindowLine(text: text, fromRefdesk: true), into: &changes)
            case .configurationRefused(_, let reason):
                changes.log.append(.init(level: .warning, message: "configuration change refused", metadata: ["reason": "\(reason)"]))
            case .dropped(let reason):
                changes.log.append(.init(level: .notice, message: "event dropped", metadata: ["reason": "\(reason)"]))
            }
        }
    }

    /// Which of `ids` (bridges' reliable ids, librarians' receipt keys) were already acted on. Call holding the
    /// ingest turn, and put the fresh ones into the write the turn submits.
    ///
    /// The ids of writes still queued or committing are in `seenInFlight`, taken before the read starts; the rest
    /// are read from what is committed, on a connection that does not wait for the commit in progress. An id not in
    /// flight when the read starts was either never submitted (and no one else can submit it during this turn) or
    /// left the set after its commit, which the read then sees. So a batch's check overlaps the previous batch's
    /// fsync instead of queueing behind it.
    func alreadySeen(_ ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var seen: Set<String> = []
        var unknown: [String] = []
        for id in ids {
            if seenInFlight.contains(id) { seen.insert(id) } else { unknown.append(id) }
        }
        guard !unknown.isEmpty else { return seen }
        let committed = try await database.readCommitted { [unknown] in try $0.seenIDs(among: unknown) }
        return seen.union(committed)
    }

    func acquireIngest() async {
        if !ingestBusy {
            ingestBusy = true
            return
        }
        await withCheckedContinuation { ingestWaiters.append($0) }
    }

    func releaseIngest() {
        if ingestWaiters.isEmpty {
            ingestBusy = false
        } else {
            ingestWaiters.removeFirst().resume()
        }
    }
}
