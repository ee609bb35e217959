/// Encodes fields as `application/x-www-form-urlencoded`, the body format of Twilio's REST API.
///
/// Only ASCII letters, digits and `*-._` pass through unchanged; a space becomes `+` and every
/// other byte of the UTF-8 encoding becomes an upper-case `%XX`, so the output is the same on
/// every platform and can be compared byte for byte in tests.
public enum FormEncoder {
    /// Encodes the pairs in the given order, joined with `&`.
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { encodeComponent($0.0) + "=" + encodeComponent($0.1) }.joined(separator: "&")
    }

    /// Encodes one name or value.
    public static func encodeComponent(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2A, 0x2D, 0x2E, 0x5F:
                output.append(byte)
            case ASCII.space:
                output.append(ASCII.plus)
            default:
                output.append(ASCII.percent)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
