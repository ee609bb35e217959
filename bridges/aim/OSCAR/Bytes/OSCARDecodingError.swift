/// Why bytes received from an OSCAR peer could not be understood.
///
/// Every case names the field or rule that failed so that a log line is enough to see what
/// the server (or a corrupted stream) sent; none of these are recoverable on the same stream
/// except `unexpectedSNAC`, which only says the caller asked for the wrong message type.
public enum OSCARDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A field needed more bytes than were left.
    case truncated(field: String, needed: Int, available: Int)
    /// A FLAP frame did not begin with the 0x2A marker, so the stream is out of step.
    case badFLAPStartByte(UInt8)
    /// A FLAP frame named a channel outside 1...5.
    case unknownFLAPChannel(UInt8)
    /// A FLAP frame announced a payload larger than the protocol allows.
    case flapPayloadTooLong(length: Int, maximum: Int)
    /// A SNAC was decoded as a message type it is not.
    case unexpectedSNAC(expectedFamily: UInt16, expectedSubtype: UInt16, family: UInt16, subtype: UInt16)
    /// A FLAP frame arrived on a channel the decoding step does not accept.
    case unexpectedChannel(expected: FLAPChannel, actual: FLAPChannel)
    /// A message lacked a TLV it cannot be understood without.
    case missingTLV(type: UInt16, in: String)
    /// A field was present but its value was not acceptable.
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(field, needed, available):
            return "\(field) needs \(needed) bytes but only \(available) remain"
        case let .badFLAPStartByte(byte):
            return "FLAP frame starts with \(hex(byte)) instead of 0x2A"
        case let .unknownFLAPChannel(channel):
            return "FLAP channel \(channel) is not one of 1 (sign-on), 2 (SNAC), 3 (error), 4 (sign-off), 5 (keepalive)"
        case let .flapPayloadTooLong(length, maximum):
            return "FLAP payload length \(length) exceeds the maximum \(maximum)"
        case let .unexpectedSNAC(expectedFamily, expectedSubtype, family, subtype):
            return "expected SNAC \(hex(expectedFamily))/\(hex(expectedSubtype)) but got \(hex(family))/\(hex(subtype))"
        case let .unexpectedChannel(expected, actual):
            return "expected a FLAP frame on channel \(expected) but got channel \(actual)"
        case let .missingTLV(type, context):
            return "\(context) lacks the required TLV \(hex(type))"
        case let .invalidValue(field, reason):
            return "\(field) is invalid: \(reason)"
        }
    }
}

/// Why a value could not be turned into OSCAR bytes.
///
/// Length fields in OSCAR are 8 or 16 bits wide; a value that does not fit would produce a
/// frame the server misreads, so encoding refuses instead of truncating.
public enum OSCAREncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A length-prefixed field is longer than its prefix can express.
    case fieldTooLong(field: String, length: Int, maximum: Int)

    public var description: String {
        switch self {
        case let .fieldTooLong(field, length, maximum):
            return "\(field) length \(length) exceeds the maximum \(maximum)"
        }
    }
}

func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    let width = T.bitWidth / 4
    return "0x" + String(repeating: "0", count: max(0, width - digits.count)) + digits
}
