/// The checks every webhook passes before its content is believed, in a fixed order, each with its
/// own HTTP answer: size (413), form syntax (400), a known account (403), the signature (403).
///
/// Keeping the decision here, without I/O, lets the daemon's HTTP code stay a thin adapter and lets
/// tests pin down which answer each kind of bad request gets.
public struct WebhookVerifier: Sendable {
    /// Largest body accepted.
    public var maximumBodyBytes: Int
    /// Auth tokens by Account SID.
    private let tokens: [String: String]

    public init(maximumBodyBytes: Int, authTokens: [String: String]) {
        self.maximumBodyBytes = maximumBodyBytes
        self.tokens = authTokens
    }

    /// The decoded fields of a body whose signature is valid for `url`.
    ///
    /// - Parameters:
    ///   - body: The raw request body.
    ///   - signature: The `X-Twilio-Signature` header, nil when absent.
    ///   - url: The public URL Twilio was told to call, query string included.
    public func verify(body: [UInt8], signature: String?, url: String) throws(WebhookRefusal) -> FormFields {
        guard body.count <= maximumBodyBytes else {
            throw .tooLarge(size: body.count, limit: maximumBodyBytes)
        }
        var limits = FormLimits.webhook
        limits.maximumBodyBytes = maximumBodyBytes
        let fields: FormFields
        do {
            fields = try FormDecoder(limits: limits).decode(bytes: body)
        } catch {
            throw .malformed(error.description)
        }
        guard let signature, !signature.isEmpty else { throw .missingSignature }
        let account: String?
        do {
            account = try fields.value("AccountSid")
        } catch {
            throw .malformed(error.description)
        }
        guard let account, let token = tokens[account] else {
            throw .unknownAccount
        }
        guard TwilioSignature.isValid(signature: signature, url: url, fields: fields, authToken: token) else {
            throw .badSignature
        }
        return fields
    }
}

/// Why a webhook was refused, with the HTTP status it is answered with.
public enum WebhookRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is larger than the configured limit.
    case tooLarge(size: Int, limit: Int)
    /// The body is not a well-formed form, or its fields are not what Twilio sends.
    case malformed(String)
    /// No `X-Twilio-Signature` header.
    case missingSignature
    /// The `AccountSid` is absent or not one whose auth token is configured: the signature cannot be checked.
    case unknownAccount
    /// The signature does not match the body, the URL and the account's auth token.
    case badSignature
    /// The `To` number is not a gateway of the account (refused so Twilio's debugger shows the mistake).
    case unknownNumber
    /// The bridge has not yet learnt its gateways from the router; Twilio may try again.
    case notReady
    /// The body is not a form: Twilio posts `application/x-www-form-urlencoded`, and a body of another type is not
    /// read at all (its bytes could still parse as a form, signed by someone who has the token).
    case unsupportedContentType(String?)

    /// The HTTP status of the answer.
    public var httpStatus: Int {
        switch self {
        case .tooLarge: 413
        case .malformed: 400
        case .missingSignature, .unknownAccount, .badSignature: 403
        case .unknownNumber: 404
        case .notReady: 503
        case .unsupportedContentType: 415
        }
    }

    public var description: String {
        switch self {
        case let .tooLarge(size, limit): "body of \(size) bytes exceeds the maximum \(limit)"
        case let .malformed(reason): "malformed request: \(reason)"
        case .missingSignature: "no X-Twilio-Signature header"
        case .unknownAccount: "AccountSid is missing or has no auth token configured"
        case .badSignature: "X-Twilio-Signature does not match"
        case .unknownNumber: "the To number is not a gateway of this account"
        case .notReady: "the gateways are not known yet (not connected to the router since start)"
        case let .unsupportedContentType(type):
            "the body must be application/x-www-form-urlencoded, as Twilio sends it, not "
                + (type.map { "'\(WebhookContentType.clip($0))'" } ?? "a body without a Content-Type")
        }
    }
}
