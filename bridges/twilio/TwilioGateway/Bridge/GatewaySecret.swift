/// What the router keeps as a Twilio gateway's `secret`: which account the number belongs to, and
/// optionally the Messaging Service to send through.
///
/// Format: `ACxxxxxxxx…` (the Account SID), or `ACxxxxxxxx…:MGxxxxxxxx…` (Account SID, a colon, the
/// Messaging Service SID). The auth token itself never travels over the bridge socket: the bridge reads
/// it from a credential file named in its own configuration, keyed by the Account SID.
public struct GatewaySecret: Sendable, Equatable {
    public let accountSid: String
    /// When set, replies are sent with `MessagingServiceSid` instead of `From`.
    public let messagingServiceSid: String?

    public init(accountSid: String, messagingServiceSid: String? = nil) {
        self.accountSid = accountSid
        self.messagingServiceSid = messagingServiceSid
    }

    /// Parses the secret; the error says what is wrong without repeating the value.
    public init(parsing text: String) throws(GatewaySecretError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 1 || parts.count == 2 else { throw .tooManyParts(parts.count) }
        guard TwilioSID.isValid(parts[0], prefixes: TwilioSID.accountPrefixes) else {
            throw .invalidAccountSid
        }
        if parts.count == 2 {
            guard TwilioSID.isValid(parts[1], prefixes: TwilioSID.messagingServicePrefixes) else {
                throw .invalidMessagingServiceSid
            }
            self.init(accountSid: parts[0], messagingServiceSid: parts[1])
        } else {
            self.init(accountSid: parts[0])
        }
    }

    /// The secret as the router stores it.
    public var text: String {
        messagingServiceSid.map { accountSid + ":" + $0 } ?? accountSid
    }
}

/// Why a gateway's secret is not a usable Twilio secret. Reported to the router as the gateway's
/// `failed` state, so an administrator sees it next to the gateway.
public enum GatewaySecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooManyParts(Int)
    case invalidAccountSid
    case invalidMessagingServiceSid

    public var description: String {
        switch self {
        case .tooManyParts(let count):
            "the gateway secret has \(count) colon-separated parts; expected 'ACcccc' or 'ACcccc:MGcccc'"
        case .invalidAccountSid:
            "the gateway secret does not start with an Account SID ('AC' followed by 32 hexadecimal digits)"
        case .invalidMessagingServiceSid:
            "the part after ':' in the gateway secret is not a Messaging Service SID ('MG' followed by 32 hexadecimal digits)"
        }
    }
}
