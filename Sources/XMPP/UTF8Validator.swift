/// Incremental UTF-8 validation across arbitrary chunk boundaries.
///
/// XMPP streams are UTF-8 only. Checking before libxml2 sees the bytes means a peer cannot make
/// libxml2 guess another encoding (UTF-16, EBCDIC) and the error names the exact byte offset.
/// NUL is refused as well: XML cannot carry it and it is how UTF-16/UCS-4 would sneak through.
struct UTF8Validator {
    /// Continuation bytes still expected for the current sequence.
    private var remaining = 0
    /// Allowed range for the next continuation byte (narrowed after E0, ED, F0, F4 leads).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Bytes validated so far, for error offsets.
    private(set) var offset = 0

    /// Validates `bytes`; on failure returns the stream offset of the offending byte.
    mutating func validate(_ bytes: [UInt8]) -> Int? {
        for byte in bytes {
            defer { offset += 1 }
            if remaining > 0 {
                guard byte >= lower && byte <= upper else { return offset }
                remaining -= 1
                lower = 0x80
                upper = 0xBF
                continue
            }
            switch byte {
            case 0x00:
                return offset
            case 0x01...0x7F:
                continue
            case 0xC2...0xDF:
                remaining = 1
            case 0xE0:
                remaining = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF:
                remaining = 2
            case 0xED:
                remaining = 2; upper = 0x9F  // no UTF-16 surrogates
            case 0xF0:
                remaining = 3; lower = 0x90
            case 0xF1...0xF3:
                remaining = 3
            case 0xF4:
                remaining = 3; upper = 0x8F  // nothing above U+10FFFF
            default:
                return offset  // stray continuation byte, overlong C0/C1, or F5...FF
            }
        }
        return nil
    }
}
