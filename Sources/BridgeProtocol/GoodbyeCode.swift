/// Why a peer is closing the connection, sent in the `goodbye` frame just before it closes.
///
/// Unknown codes decode as `.other(code)` rather than failing, so a newer peer can add codes without
/// making an older one treat its farewell as a bad frame.
public enum GoodbyeCode: Sendable, Hashable {
    /// The router does not speak the version the bridge offered.
    case unsupportedVersion
    /// The router serves no gateways of the protocol the bridge named.
    case unknownProtocol
    /// A frame could not be decoded; the reason names the defect.
    case badFrame
    /// The peer's credentials are not on the socket's allow list.
    case notAllowed
    /// The sender is stopping; reconnect later.
    case shuttingDown
    /// The bridge did not say hello in time.
    case handshakeTimeout
    /// A well-formed frame arrived that the protocol forbids at that point (e.g. anything before hello).
    case protocolViolation
    /// A code this version does not know.
    case other(UInt16)

    /// Maps a wire code to its case; known codes never become `.other`, so equal codes compare equal.
    public init(rawValue: UInt16) {
        switch rawValue {
        case 1: self = .unsupportedVersion
        case 2: self = .unknownProtocol
        case 3: self = .badFrame
        case 4: self = .notAllowed
        case 5: self = .shuttingDown
        case 6: self = .handshakeTimeout
        case 7: self = .protocolViolation
        default: self = .other(rawValue)
        }
    }

    /// The wire code.
    public var rawValue: UInt16 {
        switch self {
        case .unsupportedVersion: 1
        case .unknownProtocol: 2
        case .badFrame: 3
        case .notAllowed: 4
        case .shuttingDown: 5
        case .handshakeTimeout: 6
        case .protocolViolation: 7
        case .other(let code): code
        }
    }
}
