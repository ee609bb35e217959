/// The five FLAP channels; the channel says how to read the payload.
public enum FLAPChannel: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Connection greeting: a u32 version, then TLVs (the BOS cookie on a BOS connection).
    case signOn = 1
    /// A SNAC: almost all traffic once signed on.
    case snac = 2
    /// A FLAP-level error; servers rarely send it.
    case error = 3
    /// Orderly close; from a server it may carry a reason (TLV 0x09) and URL (TLV 0x0B).
    case signOff = 4
    /// Keeps idle connections (and NAT mappings) open; the payload is empty.
    case keepalive = 5

    public var description: String {
        switch self {
        case .signOn: "1 (sign-on)"
        case .snac: "2 (SNAC)"
        case .error: "3 (error)"
        case .signOff: "4 (sign-off)"
        case .keepalive: "5 (keepalive)"
        }
    }
}

/// One FLAP frame: the outermost OSCAR envelope on a TCP connection.
///
/// Sequence numbers are per connection and per direction; the session state machine assigns
/// them, so frames are built with an explicit sequence rather than a hidden counter.
public struct FLAPFrame: Sendable, Hashable {
    /// The largest payload a FLAP frame may carry (the u16 length minus the header slack the
    /// servers reserve).
    public static let maximumPayloadLength = 0xFFF9
    /// The marker byte that begins every frame; anything else means the stream is out of step.
    public static let startByte: UInt8 = 0x2A
    /// Bytes before the payload: marker, channel, sequence, length.
    public static let headerLength = 6

    public var channel: FLAPChannel
    public var sequence: UInt16
    public var payload: [UInt8]

    public init(channel: FLAPChannel, sequence: UInt16, payload: [UInt8]) {
        self.channel = channel
        self.sequence = sequence
        self.payload = payload
    }
}
