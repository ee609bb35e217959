/// The character sets an ICBM text fragment may declare.
public struct MessageCharset: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0x0000: US-ASCII (old clients also put Windows/Latin-1 bytes here; decoded leniently).
    public static let ascii = MessageCharset(rawValue: 0x0000)
    /// 0x0002: UCS-2 big endian (decoded as UTF-16BE, so surrogate pairs survive).
    public static let ucs2BigEndian = MessageCharset(rawValue: 0x0002)
    /// 0x0003: ISO-8859-1.
    public static let iso8859_1 = MessageCharset(rawValue: 0x0003)

    public var description: String {
        switch self {
        case .ascii: "ASCII"
        case .ucs2BigEndian: "UCS-2BE"
        case .iso8859_1: "ISO-8859-1"
        default: "charset \(hex(rawValue))"
        }
    }
}

/// Converts between Swift strings and the bytes of an ICBM text fragment.
public enum MessageTextCoding {
    /// Decodes `bytes` declared as `charset`. Unknown charsets are read as Latin-1 rather
    /// than dropped, so a patron's message is never lost to a labelling mistake.
    public static func decode(_ bytes: [UInt8], charset: MessageCharset) -> String {
        switch charset {
        case .ucs2BigEndian:
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2)
            var index = 0
            while index + 1 < bytes.count {
                units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        default:
            // ASCII is a subset of Latin-1, and Latin-1 maps byte-for-byte onto U+0000...U+00FF.
            var text = String.UnicodeScalarView()
            for byte in bytes {
                text.append(Unicode.Scalar(byte))
            }
            return String(text)
        }
    }

    /// Encodes `text` as ASCII when it can be, since every client reads that, otherwise as
    /// UCS-2BE (UTF-16BE), which modern servers and clients pass through.
    public static func encode(_ text: String) -> (charset: MessageCharset, bytes: [UInt8]) {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return (.ascii, Array(text.utf8))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf16.count * 2)
        for unit in text.utf16 {
            bytes.append(UInt8(unit >> 8))
            bytes.append(UInt8(unit & 0xFF))
        }
        return (.ucs2BigEndian, bytes)
    }
}
