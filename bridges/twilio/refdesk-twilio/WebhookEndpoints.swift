import BridgeProtocol
import BridgeTransport
import DaemonSupport
import Logging
import RefdeskStore
import TwilioGateway

/// An HTTP answer to a webhook.
struct WebhookAnswer: Sendable, Equatable {
    var status: Int
    var contentType: String
    var body: String

    /// Twilio's "received, nothing to send": empty TwiML.
    static let accepted = WebhookAnswer(status: 200, contentType: TwiML.contentType, body: TwiML.emptyResponse)

    static func refused(_ status: Int, _ text: String) -> WebhookAnswer {
        WebhookAnswer(status: status, contentType: "text/plain; charset=utf-8", body: text + "\n")
    }
}

/// Which endpoint a request is for: the last segment of its path, so the listener works whether the reverse proxy
/// keeps the public URL's path prefix or strips it.
enum WebhookEndpoint: Sendable {
    case incomingMessage
    case statusCallback

    init?(path: String) {
        let withoutQuery = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        switch withoutQuery.split(separator: "/").last {
        case "sms": self = .incomingMessage
        case "status": self = .statusCallback
        default: return nil
        }
    }
}

/// What the two webhook endpoints do once a request's body is in: verify, make durable, answer.
struct WebhookEndpoints: Sendable {
    let settings: TwilioSettings
    let verifier: WebhookVerifier
    let bridge: TwilioBridge
    let logger: Logger

    init(settings: TwilioSettings, bridge: TwilioBridge, logger: Logger) {
        self.settings = settings
        self.verifier = WebhookVerifier(maximumBodyBytes: settings.maximumBodyBytes, authTokens: settings.authTokens)
        self.bridge = bridge
        self.logger = logger
    }

    /// Handles one POST. `query` is the request's query string with its `?` (or empty): Twilio signs it too.
    func handle(_ endpoint: WebhookEndpoint, body: [UInt8], signature: String?, query: String) async -> WebhookAnswer {
        do {
            switch endpoint {
            case .incomingMessage:
                return try await incomingMessage(body: body, signature: signature, url: settings.smsURL + query)
            case .statusCallback:
                return try await statusCallback(body: body, signature: signature, url: settings.statusURL + query)
            }
        } catch let refusal as WebhookRefusal {
            logger.warning("webhook refused", metadata: ["endpoint": "\(endpoint)", "status": "\(refusal.httpStatus)", "reason": "\(refusal)"])
            return .refused(refusal.httpStatus, refusal.description)
        } catch {
            logger.error("webhook failed; Twilio will see an error", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            return .refused(500, "the message could not be stored")
        }
    }

    private func incomingMessage(body: [UInt8], signature: String?, url: String) async throws -> WebhookAnswer {
        let fields = try verifier.verify(body: body, signature: signature, url: url)
        let sms: InboundSMS
        do {
            sms = try InboundSMS(fields: fields)
        } catch {
            throw WebhookRefusal.malformed(error.description)
        }
        guard bridge.directory.isKnown else { throw WebhookRefusal.notReady }
        guard let gateway = bridge.directory.gateway(number: sms.to, accountSid: sms.accountSid) else {
            logger.warning("text to a number that is no gateway", metadata: ["to": "\(sms.to)", "account": "\(sms.accountSid)"])
            throw WebhookRefusal.unknownNumber
        }
        let optOut: Bool? = switch sms.optOut {
        case .stop: true
        case .start: false
        case .help, nil: nil
        }
        let message = InboundMessage(
            id: sms.messageSid,
            gatewayID: gateway.id,
            from: sms.from.value,
            body: OptOutNotice.annotate(sms.body, kind: sms.optOut),
            media: sms.media.map { Media(url: $0.url, contentType: $0.contentType) }
        )
        let fresh = try await bridge.spool.enqueueInbound(message, optOut: optOut, at: WallClock.milliseconds())
        if fresh {
            bridge.spoolChanged()
            var metadata: Logger.Metadata = ["id": "\(sms.messageSid)", "gateway": "\(gateway.id)", "from": logger.patronPhone(sms.from.value)]
            if !sms.media.isEmpty { metadata["media"] = "\(sms.media.count)" }
            if let kind = sms.optOut { metadata["keyword"] = "\(kind.rawValue)" }
            logger.info("text received", metadata: metadata)
        } else {
            logger.debug("replayed text dropped", metadata: ["id": "\(sms.messageSid)"])
        }
        return .accepted
    }

    private func statusCallback(body: [UInt8], signature: String?, url: String) async throws -> WebhookAnswer {
        let fields = try verifier.verify(body: body, signature: signature, url: url)
        let callback: StatusCallback
        do {
            callback = try StatusCallback(fields: fields)
        } catch {
            throw WebhookRefusal.malformed(error.description)
        }
        guard callback.status.isDelivered || callback.status.isFailure else {
            logger.debug("status callback", metadata: ["sid": "\(callback.messageSid)", "status": "\(callback.status)"])
            return .accepted
        }
        let sid = callback.messageSid
        let spool = bridge.spool
        let found = try await spool.database.read { connection -> (SpoolOutboundRecord, Int)? in
            guard let part = try connection.sentPart(networkID: sid), let record = try connection.outboundMessage(id: part.outboundID) else {
                return nil
            }
            return (record, part.part)
        }
        guard let (record, _) = found else {
            logger.info("status callback for a message this bridge did not send", metadata: ["sid": "\(sid)", "status": "\(callback.status)"])
            return .accepted
        }
        var spooled = false
        if callback.status.isDelivered {
            let delivered = try await spool.database.write { try $0.markPartDelivered(networkID: sid) }
            if delivered >= SegmentSplitter.split(record.body).count {
                spooled = try await spool.enqueueReport(messageID: record.id, status: .delivered, reason: "")
            }
        } else {
            let reason = callback.errorCode.map { TwilioErrorClassifier.classify(errorCode: $0, message: callback.errorMessage).reason }
                ?? "Twilio reported the message as \(callback.status)."
            spooled = try await spool.enqueueReport(messageID: record.id, status: .failed, reason: reason)
        }
        if spooled {
            bridge.spoolChanged()
            logger.info("delivery report", metadata: ["id": "\(record.id)", "sid": "\(sid)", "status": "\(callback.status)"])
        }
        return .accepted
    }
}
