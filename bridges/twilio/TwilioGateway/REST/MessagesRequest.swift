/// A request to Twilio's Messages resource that sends one SMS.
///
/// Built and checked here, without I/O, so the HTTP client only has to copy `method`, `url`,
/// `authorization`, `contentType` and `formBody` onto the wire, and tests can compare the
/// request byte for byte. Validation up front turns a mistake (a bad account SID in the
/// path, a body over Twilio's limit) into a clear local error instead of a Twilio error code.
public struct MessagesRequest: Sendable, Equatable {
    /// Who the message is sent as.
    public enum Sender: Sendable, Equatable {
        /// A Twilio number of the account.
        case number(E164Number)
        /// A Messaging Service, which picks the number (`MG…`).
        case messagingService(String)
    }

    public let accountSid: String
    public let to: E164Number
    public let sender: Sender
    public let body: String
    /// Where Twilio reports delivery states for this message.
    public let statusCallback: String?

    /// Twilio's REST API host.
    public static let baseURL = "https://api.twilio.com"
    /// The body's `Content-Type`.
    public static let contentType = "application/x-www-form-urlencoded"
    /// The API's limit on `Body`, measured as `SegmentSplitter.length(of:)` does.
    public static let maximumBodyLength = SegmentSplitter.maximumBodyLength

    public init(accountSid: String, to: E164Number, sender: Sender, body: String, statusCallback: String? = nil) throws(MessagesRequestError) {
        guard TwilioSID.isValid(accountSid, prefixes: TwilioSID.accountPrefixes) else {
            throw .invalidAccountSid(accountSid)
        }
        if case let .messagingService(sid) = sender, !TwilioSID.isValid(sid, prefixes: TwilioSID.messagingServicePrefixes) {
            throw .invalidMessagingServiceSid(sid)
        }
        guard !body.isEmpty else { throw .emptyBody }
        let length = SegmentSplitter.length(of: body)
        guard length <= Self.maximumBodyLength else {
            throw .bodyTooLong(length: length, limit: Self.maximumBodyLength)
        }
        if let statusCallback {
            guard statusCallback.hasPrefix("https://") || statusCallback.hasPrefix("http://"),
                  !statusCallback.contains(where: { $0.isWhitespace })
            else { throw .invalidStatusCallback(statusCallback) }
        }
        self.accountSid = accountSid
        self.to = to
        self.sender = sender
        self.body = body
        self.statusCallback = statusCallback
    }

    /// Always `POST`: creating a Message resource sends it.
    public var method: String { "POST" }

    /// `/2010-04-01/Accounts/{AccountSid}/Messages.json`.
    public var path: String { "/2010-04-01/Accounts/\(accountSid)/Messages.json" }

    /// The full request URL.
    public var url: String { Self.baseURL + path }

    /// The form fields, in a fixed order so the encoded body is deterministic.
    public var formFields: [(String, String)] {
        var fields: [(String, String)] = [("To", to.value)]
        switch sender {
        case let .number(number): fields.append(("From", number.value))
        case let .messagingService(sid): fields.append(("MessagingServiceSid", sid))
        }
        fields.append(("Body", body))
        if let statusCallback { fields.append(("StatusCallback", statusCallback)) }
        return fields
    }

    /// The encoded request body.
    public var formBody: String { FormEncoder.encode(formFields) }

    /// The `Authorization` header value for HTTP basic authentication.
    ///
    /// - Parameters:
    ///   - username: The account SID, or an API key SID (`SK…`).
    ///   - password: The auth token, or the API key's secret.
    public static func basicAuthorization(username: String, password: String) -> String {
        "Basic " + Crypto.base64(Array((username + ":" + password).utf8))
    }
}

/// Why a `MessagesRequest` could not be built.
public enum MessagesRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidAccountSid(String)
    case invalidMessagingServiceSid(String)
    case emptyBody
    case bodyTooLong(length: Int, limit: Int)
    case invalidStatusCallback(String)

    public var description: String {
        switch self {
        case let .invalidAccountSid(sid):
            return "account SID '\(sid)' is not 'AC' followed by 32 hexadecimal digits"
        case let .invalidMessagingServiceSid(sid):
            return "messaging service SID '\(sid)' is not 'MG' followed by 32 hexadecimal digits"
        case .emptyBody:
            return "message body is empty"
        case let .bodyTooLong(length, limit):
            return "message body of \(length) characters exceeds Twilio's maximum \(limit); split it with SegmentSplitter first"
        case let .invalidStatusCallback(url):
            return "status callback '\(url)' is not an http(s) URL without white space"
        }
    }
}
