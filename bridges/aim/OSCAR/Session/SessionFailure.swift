/// Why a session ended without the client asking it to.
public enum SessionFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The authorization server refused the login.
    case loginRejected(LoginErrorCode, url: String?)
    /// A server closed the session with a channel-4 frame (reason TLV 0x09, URL TLV 0x0B).
    case signedOffByServer(reason: UInt16?, url: String?)
    /// A connection closed; `phase` says which step was under way.
    case connectionLost(phase: String)
    /// The server sent something that could not be decoded or made no sense at this step.
    case protocolError(String)
    /// OpenSSL would not compute MD5, so no login can be attempted.
    case md5Unavailable

    /// Whether reconnecting later (with backoff) can succeed. Wrong credentials, a suspended
    /// account and a missing MD5 need a person; being signed off because the same name signed
    /// on elsewhere must not turn into two clients taking turns kicking each other.
    public var isRetryable: Bool {
        switch self {
        case let .loginRejected(code, _): code.isRetryable
        case let .signedOffByServer(reason, _): reason != SignOffPayload.signedOnElsewhere
        case .connectionLost, .protocolError: true
        case .md5Unavailable: false
        }
    }

    public var description: String {
        switch self {
        case let .loginRejected(code, url):
            return "login rejected: \(code)" + (url.map { " (\($0))" } ?? "")
        case let .signedOffByServer(reason, url):
            let reasonText = reason.map { "reason \(hex($0))" } ?? "no reason given"
            return "signed off by the server: \(reasonText)" + (url.map { " (\($0))" } ?? "")
        case let .connectionLost(phase):
            return "connection closed while \(phase)"
        case let .protocolError(detail):
            return "protocol error: \(detail)"
        case .md5Unavailable:
            return MD5UnavailableError().description
        }
    }
}

/// Why a request to the session could not be carried out.
public enum ClientSessionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Messages can only be sent once the session is online.
    case notOnline(state: String)
    /// The message could not be encoded (e.g. longer than a SNAC can carry).
    case encodingFailed(OSCAREncodingError)

    public var description: String {
        switch self {
        case let .notOnline(state): "cannot send: the session is \(state), not online"
        case let .encodingFailed(error): "cannot encode the message: \(error)"
        }
    }
}
