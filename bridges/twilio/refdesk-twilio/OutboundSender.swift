import BridgeProtocol
import BridgeTransport
import DaemonSupport
import Logging
import NIOConcurrencyHelpers
import RefdeskStore
import ServiceLifecycle
import TwilioGateway

/// Sends the router's replies from the spool to Twilio's Messages API.
///
/// A scheduler loop reads the first queued message of each patron (so a reply waiting for a retry
/// holds back the later ones to the same patron: they arrive in order). Each patron's message is sent by a task of
/// its own, so replies to different patrons share the spool's group commits and the HTTP client's threads instead of
/// waiting for each other's commits; `SendPacer` still spaces all sends from one number (or messaging service) at
/// the configured rate, in the order they were booked. Every outcome is written to the spool together with the
/// report it produces.
struct OutboundSender: Service {
    let settings: TwilioSettings
    let bridge: TwilioBridge
    let client: any FormPoster
    let logger: Logger
    let wakeups: AsyncStream<Void>
    let wake: @Sendable () -> Void

    private let pacer: NIOLockedValueBox<SendPacer<ContinuousClock.Instant>>
    private let activeLanes = NIOLockedValueBox<Set<String>>([])

    init(settings: TwilioSettings, bridge: TwilioBridge, client: any FormPoster, logger: Logger, wakeups: AsyncStream<Void>, wake: @escaping @Sendable () -> Void) {
        self.settings = settings
        self.bridge = bridge
        self.client = client
        self.logger = logger
        self.wakeups = wakeups
        self.wake = wake
        self.pacer = NIOLockedValueBox(SendPacer(segmentsPerSecond: Double(settings.segmentsPerSecond)))
    }

    /// A fresh wake-up stream: one pending wake-up is enough, however many arrive meanwhile.
    static func makeWakeups() -> (AsyncStream<Void>, @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        return (stream, { continuation.yield() })
    }

    func run() async throws {
        let tick = min(Duration.seconds(1), settings.retry.initial)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    // Retries fall due without anybody saying so: look again regularly.
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: tick) } catch { return }
                        wake()
                    }
                }
                for await _ in wakeups {
                    guard !Task.isCancelled else { break }
                    do {
                        for lane in try await dueLanes() {
                            group.addTask { await send(lane) }
                        }
                    } catch {
                        logger.error("cannot read the outbound spool", metadata: ["error": "\(error)"])
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// One patron's next message, with what it is sent through.
    struct Lane: Sendable {
        /// The gateway and the patron: only their oldest queued message goes, and one at a time.
        var key: String
        /// What `SendPacer` spaces sends by: the sending number, or the messaging service.
        var sendingKey: String
        var gateway: TwilioGatewayEntry
        var message: SpoolOutboundRecord
    }

    /// Patrons' due messages that are not already being sent; marks them active.
    private func dueLanes() async throws -> [Lane] {
        guard bridge.directory.isKnown else { return [] }
        let queued = try await bridge.spool.database.read { try $0.nextOutboundPerPatron(limit: 2000) }
        let now = WallClock.milliseconds()
        var lanes: [Lane] = []
        for record in queued {
            // The spool gives only each patron's oldest queued message: only that one may go.
            let key = "\(record.gatewayID) \(record.recipient)"
            guard record.nextAttemptAt <= now else { continue }
            guard let gateway = bridge.directory.gateway(id: UInt64(bitPattern: record.gatewayID)) else {
                let reason = "Not sent: the SMS gateway for this conversation is removed or not working; an administrator must check it."
                try await finish(record, status: .failed, reason: reason)
                continue
            }
            let sendingKey = gateway.secret.messagingServiceSid ?? gateway.number.value
            lanes.append(Lane(key: key, sendingKey: sendingKey, gateway: gateway, message: record))
        }
        return activeLanes.withLockedValue { active in
            lanes.filter { active.insert($0.key).inserted }
        }
    }

    private func send(_ lane: Lane) async {
        defer {
            activeLanes.withLockedValue { _ = $0.remove(lane.key) }
            wake()
        }
        guard !Task.isCancelled else { return }
        do {
            try await send(lane.message, through: lane.gateway, key: lane.sendingKey)
        } catch {
            logger.error("cannot record a send in the spool", metadata: ["id": "\(lane.message.id)", "error": "\(error)"])
        }
    }

    /// Sends the parts of one message not yet accepted, in order; records the outcome.
    private func send(_ record: SpoolOutboundRecord, through gateway: TwilioGatewayEntry, key: String) async throws {
        let spool = bridge.spool
        let (optedOut, sentParts) = try await spool.database.read { connection in
            (try connection.isOptedOut(gatewayID: record.gatewayID, patron: record.recipient), try connection.sentPartNumbers(outboundID: record.id))
        }
        if optedOut {
            logger.info("reply blocked: the patron opted out", metadata: ["id": "\(record.id)", "to": logger.patronPhone(record.recipient)])
            return try await finish(record, status: .failed, reason: OptOutNotice.blockedReason)
        }
        guard let recipient = E164Number(record.recipient) else {
            return try await finish(record, status: .failed, reason: "Not sent: '\(record.recipient)' is not a phone number in E.164 form.")
        }
        guard let token = bridge.directory.authToken(accountSid: gateway.secret.accountSid) else {
            return try await finish(record, status: .failed, reason: "Not sent: no auth token is configured for the gateway's Twilio account.")
        }
        let sender: MessagesRequest.Sender = gateway.secret.messagingServiceSid.map { .messagingService($0) } ?? .number(gateway.number)
        let parts = SegmentSplitter.split(record.body)
        var lastPart: (networkID: String, part: Int)?
        for (index, part) in parts.enumerated() where !sentParts.contains(index) {
            let request: MessagesRequest
            do {
                request = try MessagesRequest(
                    accountSid: gateway.secret.accountSid, to: recipient, sender: sender, body: part, statusCallback: settings.statusURL
                )
            } catch {
                return try await finish(record, status: .failed, reason: "Not sent: \(error)")
            }
            let delay = pacer.withLockedValue { $0.reserve(segments: SegmentCount(part).segments, from: key, at: .now) }
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            let outcome = await client.post(
                url: settings.apiBase + request.path,
                authorization: MessagesRequest.basicAuthorization(username: gateway.secret.accountSid, password: token),
                formBody: request.formBody
            )
            let interpretation = Self.interpret(outcome)
            bridge.sendOutcome(gatewayID: gateway.id, problem: Self.gatewayProblem(outcome, interpretation))
            switch interpretation {
            case .created(let sid) where index == parts.count - 1:
                lastPart = (sid, index)  // recorded with the outcome below, in one commit
            case .created(let sid):
                let time = WallClock.milliseconds()
                try await spool.database.write { try $0.recordSentPart(networkID: sid, outboundID: record.id, part: index, at: time) }
                logger.debug("part accepted by Twilio", metadata: ["id": "\(record.id)", "part": "\(index + 1)/\(parts.count)", "sid": "\(sid)"])
            case .failed(.permanent(let reason)):
                logger.warning("reply refused by Twilio", metadata: ["id": "\(record.id)", "to": logger.patronPhone(record.recipient), "reason": "\(reason)"])
                return try await finish(record, status: .failed, reason: reason)
            case .failed(.retry(let reason)):
                return try await retryLater(record, reason: reason)
            }
        }
        logger.info("reply sent", metadata: ["id": "\(record.id)", "to": logger.patronPhone(record.recipient), "parts": "\(parts.count)"])
        try await finish(record, status: .sent, reason: "", lastPart: lastPart)
    }

    enum Interpretation: Equatable {
        case created(sid: String)
        case failed(SendDisposition)
    }

    /// What an HTTP outcome means for the message.
    static func interpret(_ outcome: HTTPOutcome) -> Interpretation {
        switch outcome {
        case .networkError(let detail):
            return .failed(TwilioErrorClassifier.networkFailure(detail))
        case .response(let status, let body):
            do {
                switch try TwilioAPIResponse.decode(httpStatus: status, body: body) {
                case .created(let sid, _): return .created(sid: sid)
                case .error(let error): return .failed(TwilioErrorClassifier.classify(error))
                }
            } catch {
                // A 2xx we cannot read: the message was probably created, so sending again could double it.
                return .failed(.permanent(reason: "Twilio's answer could not be read, so the message may or may not have been sent: \(error)"))
            }
        }
    }

    /// Why the gateway cannot send at all, if this outcome says so (`nil` after a success or a per-message failure).
    static func gatewayProblem(_ outcome: HTTPOutcome, _ interpretation: Interpretation) -> String? {
        guard case .failed = interpretation, case .response(let status, let body) = outcome,
            case .error(let error)? = try? TwilioAPIResponse.decode(httpStatus: status, body: body)
        else { return nil }
        return TwilioErrorClassifier.gatewayProblem(error)
    }

    private func retryLater(_ record: SpoolOutboundRecord, reason: String) async throws {
        let now = WallClock.milliseconds()
        let age = Duration.milliseconds(now - record.createdAt)
        if age > settings.giveUpAfter {
            return try await finish(record, status: .failed, reason: "Not sent: gave up after trying for \(settings.giveUpAfter). Last problem: \(reason)")
        }
        let delay = settings.retry.delay(afterFailures: record.attempts + 1, unit: Double.random(in: 0..<1))
        let next = now + Int64(delay.components.seconds) * 1000 + Int64(delay.components.attoseconds / 1_000_000_000_000_000)
        try await bridge.spool.database.write { try $0.markOutbound(id: record.id, state: .queued, error: reason, nextAttemptAt: next) }
        logger.notice("reply will be retried", metadata: ["id": "\(record.id)", "attempt": "\(record.attempts + 1)", "in": "\(delay)", "reason": "\(reason)"])
    }

    private func finish(
        _ record: SpoolOutboundRecord, status: DeliveryStatus, reason: String, lastPart: (networkID: String, part: Int)? = nil
    ) async throws {
        try await bridge.spool.finishOutbound(
            id: record.id, state: status == .failed ? .failed : .sent, status: status, reason: reason, lastPart: lastPart,
            at: WallClock.milliseconds()
        )
        bridge.spoolChanged()
    }
}
