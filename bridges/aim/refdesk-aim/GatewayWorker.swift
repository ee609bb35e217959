import BridgeProtocol
import DaemonSupport
import Logging
import OSCAR

/// Everything that can happen to one gateway's worker, from the router, the network or a timer.
enum GatewayEvent: Sendable {
    /// New settings from `attachGateway` or `welcome` (credentials, desired state).
    case configure(GatewayDescriptor)
    case setOnline(Bool)
    /// A reply accepted into the spool, to send to a patron.
    case send(OutboundMessage)
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
    /// The rate class allows the next queued IM now.
    case pace
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
    private var limiter: RateLimiter<ContinuousClock.Instant>?
    private var paceScheduled = false
    private var reported: (GatewayState, String)?
    private var ending = false

    /// Replies waiting for the session, in the order the router sent them.
    private var queue: [OutboundMessage] = []
    /// Sent, waiting for the server's ack or error, by ICBM cookie.
    private var inFlight: [(cookie: UInt64, message: OutboundMessage)] = []
    /// Ids queued or in flight, and the last finished ones, so a message handed over twice is sent once.
    private var held: Set<String> = []
    private var finished: [String] = []
    private var finishedSet: Set<String> = []

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
        case .send(let message):
            guard !held.contains(message.id), !finishedSet.contains(message.id) else { return }
            held.insert(message.id)
            queue.append(message)
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
            guard token == connection, let link, var current = session else { return }
            let frames = current.keepalive().compactMap(\.frame)
            session = current
            _ = await link.write(frames)
            schedule(.keepalive, token: connection, after: settings.keepaliveInterval, &group)
        case .timer(.pace, let token):
            paceScheduled = false
            guard token == connection else { return }
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
        limiter = nil
        report(.connecting, "signing on")
        logger.info("signing on", metadata: ["server": "\(settings.server)"])
        spawnConnection(host: settings.server.host, port: settings.server.port, &group)
    }

    /// Signs off cleanly (an empty channel-4 frame) if a connection is open, and reports `offline`.
    private func signOff(reason: String) async {
        if var current = session {
            let frames = current.signOff().compactMap(\.frame)
            if let link {
                _ = await link.write(frames)
                link.close()
            }
            logger.info("signed off", metadata: ["reason": "\(reason)"])
        }
        dropConnection()
        report(.offline, "")
    }

    /// Forgets the current connection and session; replies in flight go back to the front of the queue, to be
    /// sent again on the next session (a reply is better twice than never).
    private func dropConnection() {
        link?.close()
        link = nil
        session = nil
        connection += 1
        limiter = nil
        onlineAt = nil
        queue = inFlight.map(\.message) + queue
        inFlight.removeAll()
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
                if let link { _ = await link.write([frame]) }
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
            case .rateLimitsReceived(let rates):
                if let rateClass = rates.rateClass(for: SNACKind(family: ICBMSendMessage.family, subtype: ICBMSendMessage.subtype)) {
                    limiter = RateLimiter(rateClass: rateClass, now: clock.now)
                }
            case .messageAccepted(let cookie):
                if let index = inFlight.firstIndex(where: { $0.cookie == cookie }) {
                    await complete(inFlight.remove(at: index).message, sent: true, reason: "")
                }
            case .messageRejected(let cookie, let error):
                if let cookie, let index = inFlight.firstIndex(where: { $0.cookie == cookie }) {
                    let message = inFlight.remove(at: index).message
                    await complete(message, sent: false, reason: Self.describe(error, recipient: message.to))
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

    /// Sends queued replies as fast as the server's rate class for IMs allows, never faster: a server drops
    /// IMs silently and then disconnects a client that outruns its limit.
    private func pump(_ group: inout DiscardingTaskGroup) async {
        while !queue.isEmpty, let link, var current = session, current.state == .online {
            let now = clock.now
            if let limiter {
                let delay = limiter.delayBeforeNextSend(now: now)
                if delay > .zero {
                    if !paceScheduled {
                        paceScheduled = true
                        schedule(.pace, token: connection, after: delay, &group)
                    }
                    return
                }
            }
            let message = queue.removeFirst()
            let cookie = UInt64.random(in: 1...UInt64.max)
            let actions: [ClientSessionAction]
            do {
                actions = try current.sendMessage(
                    to: AIMNaming.screenName(fromUsername: message.to), text: message.body, cookie: cookie,
                    requestServerAck: true, storeIfOffline: settings.storeRepliesOffline
                )
            } catch {
                await complete(message, sent: false, reason: "\(error)")
                continue
            }
            session = current
            limiter?.recordSend(at: now)
            inFlight.append((cookie, message))
            _ = await link.write(actions.compactMap(\.frame))
        }
    }

    private func complete(_ message: OutboundMessage, sent: Bool, reason: String) async {
        held.remove(message.id)
        finished.append(message.id)
        finishedSet.insert(message.id)
        if finished.count > 1000 {
            finishedSet.remove(finished.removeFirst())
        }
        await bridge.finish(message, sent: sent, reason: reason)
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
