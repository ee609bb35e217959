/// Checks raw configuration bytes before parsing: valid UTF-8, and no control characters other
/// than tab, newline and the carriage return of CRLF.
///
/// Doing this once up front lets the parser treat every byte ≥ 0x80 as part of a valid scalar and
/// every byte < 0x20 as tab or line end, which keeps the grammar code free of special cases.
enum ConfigTextCheck {
    static func validate(_ bytes: [UInt8], from start: Int, source: String) throws(ConfigError) {
        var index = start
        var line = 1
        var lineStart = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                if byte == 0x0A {
                    index += 1
                    line += 1
                    lineStart = index
                    continue
                }
                let isCRLF = byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A
                if (byte < 0x20 && byte != 0x09 && !isCRLF) || byte == 0x7F {
                    throw ConfigError(
                        source: source,
                        line: line,
                        column: ConfigPosition.column(of: index, lineStart: lineStart, in: bytes),
                        message: "control character U+\(ConfigValue.hex4(UInt32(byte))) is not allowed (only tab and newline are)"
                    )
                }
                index += 1
                continue
            }
            guard let length = scalarLength(at: index, in: bytes) else {
                throw ConfigError(
                    source: source,
                    line: line,
                    column: ConfigPosition.column(of: index, lineStart: lineStart, in: bytes),
                    message: "invalid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)))"
                )
            }
            index += length
        }
    }

    /// The length of the well-formed multi-byte UTF-8 sequence starting at `index`, or nil.
    /// Rejects overlong forms, surrogates and values above U+10FFFF (RFC 3629).
    private static func scalarLength(at index: Int, in bytes: [UInt8]) -> Int? {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return nil
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else {
            return nil
        }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            return nil
        }
        return length
    }
}

/// Column arithmetic shared by the checks and the parser.
enum ConfigPosition {
    /// The 1-based column of byte `offset`, counting Unicode scalars from the line start.
    static func column(of offset: Int, lineStart: Int, in bytes: [UInt8]) -> Int {
        var column = 1
        var index = lineStart
        while index < offset && index < bytes.count {
            if bytes[index] & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return column
    }
}
