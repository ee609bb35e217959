import BridgeProtocol
import DaemonSupport
import Logging
import OSCAR

/// Everything that can happen to one gateway's worker, from the router, the network or a timer.
enum GatewayEvent: Sendable {
    /// New settings from `attachGateway` or `welcome` (credentials, desired state).
    case configure(GatewayDescriptor)
    case setOnline(Bool)
    /// Replies accepted into the spool together, in order, to send to patrons.
    case send([OutboundMessage])
    /// The librarian's typing state in the conversation with patron `to`.
    case typing(to: String, state: ChatState)
    /// The router no longer has this gateway: sign off and end.
    case detach
    /// The daemon is stopping: sign off and end.
    case shutdown
    /// Connection number `attempt` is open.
    case connected(attempt: Int, OSCARLink)
    case received(attempt: Int, [UInt8])
    case closed(attempt: Int, reason: String)
    case timer(GatewayTimer, token: Int)
}

enum GatewayTimer: Sendable {
    /// Time to sign on again after a failure.
    case reconnect
    /// Time to send a keepalive on the current connection.
    case keepalive
    /// The rate class allows the next queued IM (or typing notification) now.
    case pace
    /// An IM sent on this connection may have waited its time for the server's ack.
    case ackDeadline
}

/// One gateway's AIM session: signs on when the router wants it online, off when not, passes IMs both ways and
/// reconnects with backoff. All its state lives in the one task that runs it, so no locks are needed; the
/// network and timers reach it only as events.
final class GatewayWorker {
    private var gateway: GatewayDescriptor
    private let settings: AIMConfiguration
    private let bridge: AIMBridge
    private let events: AsyncStream<GatewayEvent>
    private let post: AsyncStream<GatewayEvent>.Continuation
    private var logger: Logger
    private let clock = ContinuousClock()

    /// The OSCAR state machine of the current sign-on attempt; nil when signed off or waiting to retry.
    private var session: ClientSession?
    private var link: OSCARLink?
    /// Numbers connections (and keepalive/pace timers on them), so events from a connection already given up
    /// on are recognised and ignored.
    private var connection = 0
    private var decoder = FLAPDecoder()
    private var lastCloseReason = ""
    private var reconnectToken: Int?
    private var tokens = 0
    /// The password that the server refused; no sign-on is tried with it again.
    private var refusedSecret: String?
    private var refusal = ""
    private var backoff: Backoff
    private var onlineAt: ContinuousClock.Instant?
    /// The server's rate classes, counting every SNAC sent on the BOS connection; nil until they arrive.
    private var rates: RateBook<ContinuousClock.Instant>?
    /// How long an IM may be; the server's ICBM parameters set it after sign-on.
    private var layout = IMLayout.standard
    private var paceScheduled = false
    private var reported: (GatewayState, String)?
    private var ending = false

    /// Reply text waiting for the session, in the order the router sent the replies: whole replies until they are
    /// laid out as IMs, then their pieces.
    private var queue: [QueuedPiece] = []
    /// Replies queued or in flight, by id: how many of their pieces are not yet answered by the server.
    private var replies: [String: ReplyProgress] = [:]
    /// IMs sent, waiting for the server's ack or error, oldest first.
    private var inFlight: [InFlightIM] = []
    /// The last finished reply ids, so a reply handed over twice is sent once.
    private var finished: [String] = []
    private var finishedSet: Set<String> = []
    /// Typing notifications waiting for their rate class, by patron (normalised): only the latest counts.
    private var typingWanted: [String: (recipient: String, event: TypingEvent)] = [:]
    /// The last typing notification each patron was sent, so a repeat is not sent again.
    private var typingSent: [String: TypingEvent] = [:]

    /// Tries an IM gets without an ack before its replies are reported failed.
    static let maximumTries = 3
    /// At most this many patrons' typing states wait at once, and this many are remembered as sent.
    static let typingLimit = 256

    init(start: AIMBridge.WorkerStart, settings: AIMConfiguration, bridge: AIMBridge, logger: Logger) {
        self.gateway = start.gateway
        self.events = start.events
        self.post = start.post
        self.settings = settings
        self.bridge = bridge
        self.backoff = Backoff(initial: settings.reconnectInitial, maximum: settings.reconnectMaximum)
        var logger = logger
        logger[metadataKey: "gateway"] = "\(start.gateway.id)"
        logger[metadataKey: "screen_name"] = "\(AIMNaming.normalized(start.gateway.username))"
        self.logger = logger
    }

    func run() async {
        await withDiscardingTaskGroup { group in
            await reconcile(&group)
            for await event in events {
                await handle(event, &group)
                if ending { break }
            }
            if !ending {
                await signOff(reason: "the bridge stopped")
            }
            group.cancelAll()
        }
    }

    // MARK: - Events

    private func handle(_ event: GatewayEvent, _ group: inout DiscardingTaskGroup) async {
        switch event {
        case .configure(let new):
            let credentialsChanged = new.username != gateway.username || new.secret != gateway.secret
            gateway = new
            logger[metadataKey: "screen_name"] = "\(AIMNaming.normalized(new.username))"
            if credentialsChanged {
                refusedSecret = nil
                backoff.reset()
                if session != nil || reconnectToken != nil {
                    await signOff(reason: "the credentials changed")
                    reconnectToken = nil
                }
            }
            await reconcile(&group)
        case .setOnline(let online):
            gateway.online = online
            await reconcile(&group)
        case .send(let messages):
            // All of them are queued before anything is sent, so lines for one patron that arrived together go
            // in one IM.
            for message in messages where replies[message.id] == nil && !finishedSet.contains(message.id) {
                replies[message.id] = ReplyProgress(message: message, unanswered: 1)
                queue.append(QueuedPiece(messageID: message.id, to: message.to, text: message.body, laidOut: false, queuedAt: clock.now))
            }
            await pump(&group)
        case .typing(let to, let state):
            wantTyping(to: to, event: Self.typingEvent(for: state))
            await pump(&group)
        case .detach:
            await signOff(reason: "the gateway was detached")
            ending = true
        case .shutdown:
            await signOff(reason: "the bridge is stopping")
            ending = true
        case .connected(let attempt, let newLink):
            guard attempt == connection, var current = session else {
                newLink.close()
                return
            }
            link = newLink
            let actions = current.connectionEstablished()
            session = current
            await perform(actions, &group)
        case .received(let attempt, let bytes):
            guard attempt == connection, session != nil else { return }
            decoder.append(bytes)
            await drainFrames(&group)
        case .closed(let attempt, let reason):
            guard attempt == connection, var current = session else { return }
            link = nil
            lastCloseReason = reason
            let actions = current.connectionClosed()
            session = current
            await perform(actions, &group)
        case .timer(.reconnect, let token):
            guard token == reconnectToken else { return }
            reconnectToken = nil
            await reconcile(&group)
        case .timer(.keepalive, let token):
            guard token == connection, link != nil, var current = session else { return }
            let frames = current.keepalive().compactMap(\.frame)
            session = current
            await write(frames)
            schedule(.keepalive, token: connection, after: settings.keepaliveInterval, &group)
        case .timer(.pace, let token):
            paceScheduled = false
            guard token == connection else { return }
            await pump(&group)
        case .timer(.ackDeadline, let token):
            guard token == connection else { return }
            await ackDeadlinePassed()
            await pump(&group)
        }
    }

    /// Feeds every complete frame to the session. A frame that cannot even be cut out of the stream (bad start
    /// byte, unknown channel, impossible length) means nobody knows where the next one starts: the session ends
    /// and is started again.
    private func drainFrames(_ group: inout DiscardingTaskGroup) async {
        let current = connection
        while current == connection, var state = session {
            let frame: FLAPFrame?
            do {
                frame = try decoder.next()
            } catch {
                await sessionEnded("malformed frame from the server: \(error)", retryable: true, failure: nil, &group)
                return
            }
            guard let frame else { return }
            let actions = state.received(frame)
            session = state
            await perform(actions, &group)
        }
    }

    // MARK: - Desired state

    /// Brings the session in line with what the router wants.
    private func reconcile(_ group: inout DiscardingTaskGroup) async {
        if gateway.online {
            guard session == nil, reconnectToken == nil else { return }
            if refusedSecret == gateway.secret {
                report(.failed, refusal)
                return
            }
            startSession(&group)
        } else {
            reconnectToken = nil
            if session != nil {
                await signOff(reason: "the router set the gateway offline")
            } else {
                report(.offline, "")
            }
        }
    }

    private func startSession(_ group: inout DiscardingTaskGroup) {
        let name = AIMNaming.screenName(fromUsername: gateway.username)
        guard !name.isEmpty, !gateway.secret.isEmpty else {
            refusedSecret = gateway.secret
            refusal = name.isEmpty ? "the gateway has no screen name" : "the gateway has no password"
            report(.failed, refusal)
            return
        }
        session = ClientSession(configuration: .init(
            screenName: name, password: gateway.secret, clientID: settings.clientID,
            initialSequence: UInt16.random(in: 0..<0x8000)
        ))
        connection += 1
        decoder = FLAPDecoder()
        rates = nil
        report(.connecting, "signing on")
        logger.info("signing on", metadata: ["server": "\(settings.server)"])
        spawnConnection(host: settings.server.host, port: settings.server.port, &group)
    }

    /// Signs off cleanly (an empty channel-4 frame) if a connection is open, and reports `offline`.
    private func signOff(reason: String) async {
        if var current = session {
            let frames = current.signOff().compactMap(\.frame)
            if let link {
                await write(frames)
                link.close()
            }
            logger.info("signed off", metadata: ["reason": "\(reason)"])
        }
        dropConnection()
        report(.offline, "")
    }

    /// Forgets the current connection and session; IMs in flight go back to the front of the queue, to be laid out
    /// and sent again on the next session (a reply is better twice than never).
    private func dropConnection() {
        link?.close()
        link = nil
        session = nil
        connection += 1
        rates = nil
        onlineAt = nil
        paceScheduled = false
        let returning = inFlight.flatMap { im in
            im.pieces.map { QueuedPiece(messageID: $0.messageID, to: im.to, text: $0.text, laidOut: false, queuedAt: im.sentAt) }
        }
        queue = returning + queue
        inFlight.removeAll()
        typingWanted.removeAll()
        typingSent.removeAll()
    }

    private func sessionEnded(_ reason: String, retryable: Bool, failure: SessionFailure?, _ group: inout DiscardingTaskGroup) async {
        if let onlineAt, onlineAt.duration(to: clock.now) >= .seconds(30) {
            backoff.reset()
        }
        dropConnection()
        guard gateway.online else {
            report(.offline, "")
            return
        }
        guard retryable else {
            refusedSecret = gateway.secret
            refusal = reason
            logger.error("AIM session failed; not retrying until the credentials change", metadata: ["reason": "\(reason)"])
            report(.failed, reason)
            return
        }
        var delay = backoff.next()
        if case .loginRejected(let code, _)? = failure, code == .rateLimited {
            delay = max(delay, settings.loginLimitedWait)
        }
        logger.warning("AIM session ended; signing on again", metadata: ["reason": "\(reason)", "in": "\(Self.describe(delay))"])
        report(.connecting, "\(reason); signing on again in \(Self.describe(delay))")
        tokens += 1
        reconnectToken = tokens
        schedule(.reconnect, token: tokens, after: delay, &group)
    }

    // MARK: - Session actions

    private func perform(_ actions: [ClientSessionAction], _ group: inout DiscardingTaskGroup) async {
        for action in actions {
            switch action {
            case .send(let frame):
                await write([frame])
            case .connectBOS(let host, let port, _):
                link?.close()
                link = nil
                connection += 1
                decoder = FLAPDecoder()
                spawnConnection(host: host, port: port, &group)
            case .online:
                onlineAt = clock.now
                logger.info("online")
                report(.online, "")
                schedule(.keepalive, token: connection, after: settings.keepaliveInterval, &group)
            case .deliverIncoming(let cookie, let from, let text, let sentAt, let offline):
                let message = InboundMessage(
                    id: AIMNaming.incomingID(gatewayID: gateway.id, sender: from.normalized, cookie: cookie),
                    gatewayID: gateway.id,
                    from: from.normalized,
                    body: text,
                    sentAt: sentAt.map { Int64($0) * 1000 } ?? WallClock.milliseconds(),
                    storedOffline: offline
                )
                await bridge.deliver(message)
            case .deliverNotice(let from, let text):
                logger.notice("server notice", metadata: ["from": "\(from.displayName)", "text": "\(text)"])
                bridge.notice(gateway.id, from: from.displayName, text: text)
            case .typingReceived(let from, let event):
                logger.debug("typing notification", metadata: ["from": "\(from.normalized)", "event": "\(event)"])
                bridge.chatState(gateway.id, peer: from.normalized, state: Self.chatState(for: event))
            case .rateLimitsReceived(let reply):
                rates = RateBook(reply, now: clock.now)
            case .rateChanged(let notice):
                rates?.adopt(notice.rateClass, now: clock.now)
                let level: Logger.Level = notice.code == .limited ? .warning : .info
                logger.log(level: level, "the server's rate state changed", metadata: [
                    "state": "\(notice.code)", "class": "\(notice.rateClass.id)", "level": "\(notice.rateClass.currentLevel)",
                ])
            case .messageLimitReceived(let maximumLength):
                layout = IMLayout(maximumTextBytes: maximumLength)
                if maximumLength < IMLayout.smallestLimit {
                    logger.warning("the server's maximum message length is implausibly small; using the smallest workable", metadata: [
                        "server": "\(maximumLength)", "used": "\(layout.maximumTextBytes)",
                    ])
                }
            case .messageAccepted(let cookie):
                if let index = inFlight.firstIndex(where: { $0.cookie == cookie }) {
                    await answered(inFlight.remove(at: index), failure: nil)
                }
            case .messageRejected(let cookie, let error):
                if let cookie, let index = inFlight.firstIndex(where: { $0.cookie == cookie }) {
                    let im = inFlight.remove(at: index)
                    await answered(im, failure: Self.describe(error, recipient: im.to))
                } else {
                    logger.warning("the server refused an IM that cannot be matched to a reply", metadata: ["error": "\(error)"])
                }
            case .buddyOnline(let name):
                logger.debug("buddy online", metadata: ["buddy": "\(name.normalized)"])
            case .buddyOffline(let name):
                logger.debug("buddy offline", metadata: ["buddy": "\(name.normalized)"])
            case .discardedMalformed(let family, let subtype, let error):
                logger.warning(
                    "skipped a malformed SNAC from the server",
                    metadata: ["family": "\(family)", "subtype": "\(subtype)", "error": "\(error)"]
                )
            case .failed(let failure, let retryable):
                var reason = failure.description
                if case .connectionLost = failure, !lastCloseReason.isEmpty { reason += " (\(lastCloseReason))" }
                await sessionEnded(reason, retryable: retryable, failure: failure, &group)
                return
            }
        }
        await pump(&group)
    }

    // MARK: - Sending

    /// Sends what waits as soon as the server's rate classes allow without ever being limited: IMs whose ack did
    /// not come, again; then queued replies, each IM carrying as many lines for its patron as fit (so lines that
    /// queued up while the class recovered go together); then typing notifications. A server drops IMs silently
    /// and then disconnects a client that outruns its limit.
    private func pump(_ group: inout DiscardingTaskGroup) async {
        let imKind = SNACKind(family: ICBMSendMessage.family, subtype: ICBMSendMessage.subtype)
        while link != nil, let current = session, current.state == .online {
            let retry = inFlight.firstIndex { $0.retryDue }
            guard retry != nil || !queue.isEmpty else { break }
            let now = clock.now
            // A retry goes as soon as the class refills; new lines may wait a moment for the ones behind them.
            let delay = retry != nil
                ? rates?.delayBeforeSending(imKind, now: now) ?? .zero
                : rates?.delayBeforeSending(imKind, now: now, waitingSince: queue[0].queuedAt) ?? .zero
            if delay > .zero {
                schedulePace(after: delay, &group)
                break
            }
            if let retry {
                await resend(at: retry, now: now, &group)
            } else {
                await sendNextIM(now: now, &group)
            }
        }
        await pumpTyping(&group)
    }

    /// Sends the IM that starts with the first queued piece, joined by the pieces for the same patron queued
    /// behind it, in order, while the IM fits.
    private func sendNextIM(now: ContinuousClock.Instant, _ group: inout DiscardingTaskGroup) async {
        guard var current = session else { return }
        layOut(at: 0)
        let recipient = AIMNaming.normalized(queue[0].to)
        var taken = [0]
        var lines = [queue[0].text]
        var index = 1
        while index < queue.count {
            if AIMNaming.normalized(queue[index].to) == recipient {
                layOut(at: index)
                guard layout.joined(lines + [queue[index].text]) != nil else { break }
                lines.append(queue[index].text)
                taken.append(index)
            }
            index += 1
        }
        let pieces = taken.map { (messageID: queue[$0].messageID, text: queue[$0].text) }
        let to = queue[0].to
        for index in taken.reversed() { queue.remove(at: index) }
        let im = InFlightIM(cookie: UInt64.random(in: 1...UInt64.max), to: to, text: lines.joined(separator: "\n"), pieces: pieces, sentAt: now)
        let actions: [ClientSessionAction]
        do {
            actions = try current.sendMessage(
                to: AIMNaming.screenName(fromUsername: im.to), text: im.text, cookie: im.cookie,
                requestServerAck: true, storeIfOffline: settings.storeRepliesOffline
            )
        } catch {
            await answered(im, failure: "\(error)")
            return
        }
        session = current
        inFlight.append(im)
        // An IM ends the patron's client's typing indicator; a notification still waiting would only restart it.
        typingWanted[recipient] = nil
        typingSent[recipient] = nil
        await write(actions.compactMap(\.frame))
        schedule(.ackDeadline, token: connection, after: settings.ackTimeout, &group)
    }

    /// Sends an IM again with its cookie, after its ack did not come in time.
    private func resend(at index: Int, now: ContinuousClock.Instant, _ group: inout DiscardingTaskGroup) async {
        guard var current = session else { return }
        var im = inFlight[index]
        let actions: [ClientSessionAction]
        do {
            actions = try current.sendMessage(
                to: AIMNaming.screenName(fromUsername: im.to), text: im.text, cookie: im.cookie,
                requestServerAck: true, storeIfOffline: settings.storeRepliesOffline
            )
        } catch {
            inFlight.remove(at: index)
            await answered(im, failure: "\(error)")
            return
        }
        session = current
        im.tries += 1
        im.sentAt = now
        im.retryDue = false
        inFlight[index] = im
        logger.info("no ack for an IM; sent it again with the same cookie", metadata: ["try": "\(im.tries)", "to": "\(im.to)"])
        await write(actions.compactMap(\.frame))
        schedule(.ackDeadline, token: connection, after: settings.ackTimeout, &group)
    }

    /// IMs whose ack is overdue are due to go again; after their last try, their replies are reported failed.
    private func ackDeadlinePassed() async {
        let now = clock.now
        var index = 0
        while index < inFlight.count {
            guard !inFlight[index].retryDue, inFlight[index].sentAt.duration(to: now) >= settings.ackTimeout else {
                index += 1
                continue
            }
            if inFlight[index].tries < Self.maximumTries {
                inFlight[index].retryDue = true
                index += 1
            } else {
                let im = inFlight.remove(at: index)
                await answered(im, failure: "the AIM server did not confirm the IM after \(im.tries) tries")
            }
        }
    }

    /// Replaces the queued reply at `index` with its pieces, each of which fits in one IM.
    private func layOut(at index: Int) {
        guard !queue[index].laidOut else { return }
        let piece = queue[index]
        let texts = layout.pieces(of: piece.text)
        queue.replaceSubrange(index...index, with: texts.map {
            QueuedPiece(messageID: piece.messageID, to: piece.to, text: $0, laidOut: true, queuedAt: piece.queuedAt)
        })
        replies[piece.messageID]?.unanswered += texts.count - 1
    }

    /// The server answered an IM: each reply with a piece in it is one piece nearer its outcome, which is reported
    /// once every piece is answered (failed if any piece failed).
    private func answered(_ im: InFlightIM, failure: String?) async {
        for piece in im.pieces {
            guard var progress = replies[piece.messageID] else { continue }
            progress.unanswered -= 1
            if progress.failure == nil { progress.failure = failure }
            if progress.unanswered > 0 {
                replies[piece.messageID] = progress
                continue
            }
            replies[piece.messageID] = nil
            await complete(progress.message, sent: progress.failure == nil, reason: progress.failure ?? "")
        }
    }

    private func complete(_ message: OutboundMessage, sent: Bool, reason: String) async {
        finished.append(message.id)
        finishedSet.insert(message.id)
        if finished.count > 1000 {
            finishedSet.remove(finished.removeFirst())
        }
        await bridge.finish(message, sent: sent, reason: reason)
    }

    // MARK: - Typing

    /// Keeps the latest typing state for a patron until its rate class lets it go; a repeat of what the patron
    /// was last sent is dropped.
    private func wantTyping(to recipient: String, event: TypingEvent) {
        guard session?.state == .online else { return }
        let key = AIMNaming.normalized(recipient)
        if typingWanted[key] == nil, typingSent[key] == event { return }
        if typingWanted[key] == nil, typingWanted.count >= Self.typingLimit {
            logger.debug("typing notification dropped: too many waiting", metadata: ["to": "\(key)"])
            return
        }
        typingWanted[key] = (recipient, event)
    }

    /// Sends waiting typing notifications while their rate class allows; they never take the IMs' turn, since
    /// they share no class with IMs on AIM servers (and where they do, IMs went first in `pump`).
    private func pumpTyping(_ group: inout DiscardingTaskGroup) async {
        let kind = SNACKind(family: ICBMTypingNotification.family, subtype: ICBMTypingNotification.subtype)
        while link != nil, var current = session, current.state == .online, let (key, wanted) = typingWanted.first {
            let now = clock.now
            let delay = rates?.delayBeforeSending(kind, now: now) ?? .zero
            if delay > .zero {
                schedulePace(after: delay, &group)
                return
            }
            typingWanted[key] = nil
            guard let actions = try? current.sendTypingNotification(to: AIMNaming.screenName(fromUsername: wanted.recipient), event: wanted.event) else {
                continue
            }
            session = current
            if typingSent.count >= Self.typingLimit { typingSent.removeAll() }
            typingSent[key] = wanted.event
            await write(actions.compactMap(\.frame))
        }
    }

    static func typingEvent(for state: ChatState) -> TypingEvent {
        switch state {
        case .composing: .typing
        case .paused: .paused
        case .active, .inactive, .gone: .finished
        }
    }

    static func chatState(for event: TypingEvent) -> ChatState {
        switch event {
        case .typing: .composing
        case .paused: .paused
        default: .active
        }
    }

    // MARK: - Writing

    /// Writes frames to the current connection, counting each SNAC in its rate class.
    private func write(_ frames: [FLAPFrame]) async {
        guard let link, !frames.isEmpty else { return }
        let now = clock.now
        for frame in frames {
            if let kind = frame.snacKind { rates?.recordSend(kind, at: now) }
        }
        _ = await link.write(frames)
    }

    private func schedulePace(after delay: Duration, _ group: inout DiscardingTaskGroup) {
        guard !paceScheduled else { return }
        paceScheduled = true
        schedule(.pace, token: connection, after: delay, &group)
    }

    /// "250 ms", "3.5 s", "65 s": a delay as people read it in a state reason.
    private static func describe(_ delay: Duration) -> String {
        let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 10_000 { return "\(milliseconds / 1000).\(milliseconds % 1000 / 100) s" }
        return "\(milliseconds / 1000) s"
    }

    private static func describe(_ error: SNACError, recipient: String) -> String {
        switch error.code {
        case SNACError.recipientNotLoggedIn: "\(recipient) is not signed on to AIM and the server did not keep the message"
        case SNACError.rateLimitExceeded, SNACError.recipientRateLimitExceeded: "the AIM server refused the message: rate limit (\(error))"
        default: "the AIM server refused the message: \(error)"
        }
    }

    // MARK: - Helpers

    private func report(_ state: GatewayState, _ reason: String) {
        if let reported, reported.0 == state, reported.1 == reason { return }
        reported = (state, reason)
        bridge.report(gateway.id, state, reason: reason)
    }

    private func spawnConnection(host: String, port: Int, _ group: inout DiscardingTaskGroup) {
        let attempt = connection
        let post = post
        let tls = settings.tls
        group.addTask {
            await OSCARConnector.run(host: host, port: port, tls: tls, attempt: attempt, post: post)
        }
    }

    private func schedule(_ timer: GatewayTimer, token: Int, after delay: Duration, _ group: inout DiscardingTaskGroup) {
        let post = post
        group.addTask {
            do { try await Task.sleep(for: delay) } catch { return }
            post.yield(.timer(timer, token: token))
        }
    }
}

extension ClientSessionAction {
    /// The frame of a `.send` action.
    var frame: FLAPFrame? {
        if case .send(let frame) = self { return frame }
        return nil
    }
}

extension FLAPFrame {
    /// The family and subtype of the SNAC a channel-2 frame carries, to count it in its rate class.
    var snacKind: SNACKind? {
        guard channel == .snac, payload.count >= 4 else { return nil }
        return SNACKind(
            family: UInt16(payload[0]) << 8 | UInt16(payload[1]),
            subtype: UInt16(payload[2]) << 8 | UInt16(payload[3])
        )
    }
}

/// A reply, or a piece of one, waiting to go out.
struct QueuedPiece {
    var messageID: String
    /// The patron, as the router wrote them.
    var to: String
    var text: String
    /// Whether it was already cut to fit one IM.
    var laidOut: Bool
    /// When it joined the queue: the rate limiter's coalescing hold counts from the oldest piece.
    var queuedAt: ContinuousClock.Instant
}

/// A reply queued or in flight: how many of its pieces still wait for the server's answer.
struct ReplyProgress {
    var message: OutboundMessage
    var unanswered: Int
    /// Why a piece of it failed, if one did.
    var failure: String?
}

/// An IM sent and waiting for the server's ack: what it carries, so it can go again with the same cookie, and
/// so its replies can be queued again on another session.
struct InFlightIM {
    var cookie: UInt64
    var to: String
    var text: String
    var pieces: [(messageID: String, text: String)]
    var sentAt: ContinuousClock.Instant
    var tries = 1
    /// Its ack is overdue; it goes again at the next chance.
    var retryDue = false
}
