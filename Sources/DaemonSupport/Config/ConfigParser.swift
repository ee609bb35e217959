/// The parser for the documented TOML subset (see ``ConfigDocument``).
///
/// It works on UTF-8 bytes that ``ConfigTextCheck`` has already validated, one line construct at a
/// time, without recursion except through table paths (whose depth is capped), so hostile input can
/// cost at most linear time and bounded stack.
struct ConfigParser {
    static let maximumInputBytes = 1 << 20
    static let maximumTableDepth = 8

    private let bytes: [UInt8]
    private let source: String
    private var index: Int
    private var line = 1
    private var lineStart: Int
    private var root = ConfigTable(isExplicit: true, line: 1)
    /// The path of the table that `key = value` lines currently go into.
    private var currentPath: [String] = []

    private init(bytes: [UInt8], source: String, start: Int) {
        self.bytes = bytes
        self.source = source
        self.index = start
        self.lineStart = start
    }

    static func parse(_ bytes: [UInt8], source: String) throws(ConfigError) -> ConfigTable {
        guard bytes.count <= maximumInputBytes else {
            throw ConfigError(
                source: source,
                message: "the file is \(bytes.count) bytes long, more than the maximum \(maximumInputBytes)"
            )
        }
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let start = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        try ConfigTextCheck.validate(bytes, from: start, source: source)
        var parser = ConfigParser(bytes: bytes, source: source, start: start)
        try parser.parseDocument()
        return parser.root
    }

    // MARK: - Lines

    private mutating func parseDocument() throws(ConfigError) {
        while true {
            skipSpaces()
            guard let byte = peek() else { return }
            switch byte {
            case UInt8(ascii: "#"):
                skipComment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                consumeNewline()
            case UInt8(ascii: "["):
                try parseHeader()
                try expectEndOfLine(after: "table header")
            default:
                try parseKeyValue()
                try expectEndOfLine(after: "value")
            }
        }
    }

    private mutating func expectEndOfLine(after what: String) throws(ConfigError) {
        skipSpaces()
        guard let byte = peek() else { return }
        switch byte {
        case UInt8(ascii: "#"):
            skipComment()
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            consumeNewline()
        default:
            throw error("unexpected \(describeNext()) after the \(what); expected a comment or the end of the line")
        }
    }

    // MARK: - Tables

    private mutating func parseHeader() throws(ConfigError) {
        let headerStart = mark()
        index += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray {
            index += 1
        }
        var path: [String] = []
        while true {
            skipSpaces()
            path.append(try parseKey())
            guard path.count <= Self.maximumTableDepth else {
                // Stop at once: a hostile header may nest thousands of levels.
                throw error(
                    "table header \(Self.excerpt(path.joined(separator: "."))) nests more than the maximum "
                        + "\(Self.maximumTableDepth) levels",
                    at: headerStart
                )
            }
            skipSpaces()
            if peek() == UInt8(ascii: ".") {
                index += 1
                continue
            }
            break
        }
        let closing = isArray ? "]]" : "]"
        let dotted = Self.excerpt(path.joined(separator: "."))
        let name = isArray ? "[[\(dotted)]]" : "[\(dotted)]"
        for expected in closing.utf8 {
            guard peek() == expected else {
                throw error("expected '\(closing)' to close the table header \(name), found \(describeNext())")
            }
            index += 1
        }
        let line = headerStart.line
        let column = column(of: headerStart)
        let source = source
        let fail = { (message: String) in ConfigError(source: source, line: line, column: column, message: message) }
        try Self.define(path[...], in: &root, walked: [], isArray: isArray, line: line, column: column, fail: fail)
        currentPath = path
    }

    /// At most 60 characters of a name for an error message, so a hostile file cannot flood the log.
    static func excerpt(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(60)) + "…"
    }

    /// Creates (or, for `[[…]]`, appends) the table at `path`, applying TOML's rules: a table gets at most
    /// one header, tables implied by deeper headers may get one later, and nothing replaces a value.
    private static func define(
        _ path: ArraySlice<String>,
        in table: inout ConfigTable,
        walked: [String],
        isArray: Bool,
        line: Int,
        column: Int,
        fail: (String) -> ConfigError
    ) throws(ConfigError) {
        guard let key = path.first else { return }
        let here = walked + [key]
        let name = here.joined(separator: ".")
        let header = isArray ? "[[\((walked + path).joined(separator: "."))]]" : "[\((walked + path).joined(separator: "."))]"
        let isLast = path.count == 1

        // Only a summary of the existing node is kept, so no second reference pins the tables
        // that are about to be modified in place.
        guard let existing = table.entries[key].map(ExistingNode.init) else {
            let node: ConfigNode
            if isLast {
                let fresh = ConfigTable(isExplicit: true, line: line)
                node = isArray ? .tableArray([fresh]) : .table(fresh)
            } else {
                var implied = ConfigTable(isExplicit: false, line: line)
                try define(path.dropFirst(), in: &implied, walked: here, isArray: isArray, line: line, column: column, fail: fail)
                node = .table(implied)
            }
            table.insert(key, ConfigEntry(node: node, line: line, column: column))
            return
        }

        switch existing {
        case .value(let kind, let valueLine):
            throw fail("cannot define table \(header): key \"\(name)\" already holds \(kind) (line \(valueLine))")
        case .table(let tableLine, let isExplicit) where isLast:
            if isArray {
                throw fail("cannot define \(header): \"\(name)\" is already a table (line \(tableLine))")
            }
            if isExplicit {
                throw fail("table \(header) is defined twice (first at line \(tableLine))")
            }
            _ = try table.withTable(at: [key]) { (child: inout ConfigTable) throws(ConfigError) in
                child.isExplicit = true
                child.line = line
            }
        case .tableArray(let arrayLine) where isLast:
            guard isArray else {
                throw fail("cannot define table \(header): \"\(name)\" is already an array of tables (line \(arrayLine))")
            }
            guard var entry = table.entries.removeValue(forKey: key) else { return }
            if case .tableArray(var tables) = entry.node {
                entry.node = .placeholder
                tables.append(ConfigTable(isExplicit: true, line: line))
                entry.node = .tableArray(tables)
            }
            table.entries[key] = entry
        case .table, .tableArray:
            _ = try table.withTable(at: [key]) { (child: inout ConfigTable) throws(ConfigError) in
                try define(path.dropFirst(), in: &child, walked: here, isArray: isArray, line: line, column: column, fail: fail)
            }
        }
    }

    /// What a header finds already at one of its keys.
    private enum ExistingNode {
        case value(kind: String, line: Int)
        case table(line: Int, isExplicit: Bool)
        case tableArray(line: Int)

        init(_ entry: ConfigEntry) {
            switch entry.node {
            case .value: self = .value(kind: entry.node.kindDescription, line: entry.line)
            case .table(let table): self = .table(line: table.line, isExplicit: table.isExplicit)
            case .tableArray: self = .tableArray(line: entry.line)
            }
        }
    }

    // MARK: - Keys and values

    private mutating func parseKeyValue() throws(ConfigError) {
        let keyStart = mark()
        let key = try parseKey()
        skipSpaces()
        if peek() == UInt8(ascii: ".") {
            throw error("dotted keys are not supported; put \"\(key)\" under a [section] header instead")
        }
        guard peek() == UInt8(ascii: "=") else {
            throw error("expected '=' after key \"\(key)\", found \(describeNext())")
        }
        index += 1
        skipSpaces()
        let value = try parseValue(inArray: false)

        let path = currentPath
        let fullName = (path + [key]).joined(separator: ".")
        let entry = ConfigEntry(node: .value(value), line: keyStart.line, column: column(of: keyStart))
        let source = source
        let inserted: Void? = try root.withTable(at: path[...]) { (table: inout ConfigTable) throws(ConfigError) in
            if let existing = table.entries[key] {
                throw ConfigError(
                    source: source,
                    line: entry.line,
                    column: entry.column,
                    message: "duplicate key \"\(fullName)\" (first defined at line \(existing.line))"
                )
            }
            table.insert(key, entry)
        }
        if inserted == nil {
            throw error("internal error: table [\(path.joined(separator: "."))] vanished", at: keyStart)
        }
    }

    private mutating func parseKey() throws(ConfigError) -> String {
        let start = index
        while let byte = peek(), Self.isBareKeyByte(byte) {
            index += 1
        }
        guard index > start else {
            if let byte = peek(), byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                throw error("quoted keys are not supported; keys use only A-Z a-z 0-9 _ -")
            }
            throw error("expected a key, found \(describeNext())")
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseValue(inArray: Bool) throws(ConfigError) -> ConfigValue {
        guard let byte = peek() else {
            throw error("expected a value, found the end of the file")
        }
        switch byte {
        case UInt8(ascii: "\""):
            if lookahead("\"\"\"") {
                throw error("multi-line strings are not supported")
            }
            return .string(try parseBasicString())
        case UInt8(ascii: "'"):
            if lookahead("'''") {
                throw error("multi-line strings are not supported")
            }
            return .string(try parseLiteralString())
        case UInt8(ascii: "["):
            if inArray {
                throw error("nested arrays are not supported")
            }
            return try parseArray()
        case UInt8(ascii: "{"):
            throw error("inline tables are not supported; use a [section] header")
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
            throw error("expected a value, found \(describeNext())")
        default:
            return try parseBareValue()
        }
    }

    /// Booleans and integers, plus clear refusals for the TOML forms this subset leaves out.
    private mutating func parseBareValue() throws(ConfigError) -> ConfigValue {
        let start = mark()
        let tokenStart = index
        while let byte = peek(), Self.isBareValueByte(byte) {
            index += 1
        }
        guard index > tokenStart else {
            throw error("expected a value, found \(describeNext())")
        }
        let token = String(decoding: bytes[tokenStart..<index], as: UTF8.self)
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        default: break
        }
        switch ConfigIntegerSyntax.parse(token) {
        case .success(let integer):
            return .integer(integer)
        case .failure(let problem):
            throw error(problem.message, at: start)
        }
    }

    private mutating func parseBasicString() throws(ConfigError) -> String {
        let opening = mark()
        index += 1
        var result: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw error("unterminated string: missing the closing '\"'", at: opening)
            }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escape = mark()
                index += 1
                try parseEscape(startingAt: escape, into: &result)
            default:
                result.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseEscape(startingAt escape: Mark, into result: inout [UInt8]) throws(ConfigError) {
        guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
            throw error("unterminated string: a '\\' ends the line", at: escape)
        }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            result.append(byte)
        case UInt8(ascii: "n"):
            result.append(UInt8(ascii: "\n"))
        case UInt8(ascii: "t"):
            result.append(UInt8(ascii: "\t"))
        case UInt8(ascii: "u"):
            let digitsStart = index + 1
            let digitsEnd = digitsStart + 4
            guard digitsEnd <= bytes.count,
                let value = UInt32(String(decoding: bytes[digitsStart..<digitsEnd], as: UTF8.self), radix: 16),
                bytes[digitsStart..<digitsEnd].allSatisfy(Self.isHexDigit)
            else {
                throw error("invalid escape: \"\\u\" must be followed by exactly 4 hex digits", at: escape)
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("invalid escape \"\\u\(ConfigValue.hex4(value))\": not a Unicode scalar value (a surrogate)", at: escape)
            }
            result.append(contentsOf: Array(String(Character(scalar)).utf8))
            index = digitsEnd
            return
        case UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "r"), UInt8(ascii: "e"), UInt8(ascii: "x"), UInt8(ascii: "U"):
            // TOML has these; refdesk's settings never need them.
            let shown = String(UnicodeScalar(byte))
            throw error("escapes other than \\\" \\\\ \\n \\t \\uXXXX are not supported (got \"\\\(shown)\")", at: escape)
        default:
            let shown = String(decoding: bytes[index..<(index + Self.scalarByteCount(bytes[index]))], as: UTF8.self)
            throw error("invalid escape \"\\\(shown)\" (allowed: \\\" \\\\ \\n \\t \\uXXXX)", at: escape)
        }
        index += 1
    }

    private mutating func parseLiteralString() throws(ConfigError) -> String {
        let opening = mark()
        index += 1
        let start = index
        while let byte = peek(), byte != UInt8(ascii: "'") {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                break
            }
            index += 1
        }
        guard peek() == UInt8(ascii: "'") else {
            throw error("unterminated string: missing the closing \"'\"", at: opening)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        index += 1
        return text
    }

    private mutating func parseArray() throws(ConfigError) -> ConfigValue {
        let opening = mark()
        index += 1
        var elements: [ConfigValue] = []
        var firstKind: String?
        while true {
            skipSpacesNewlinesAndComments()
            guard let byte = peek() else {
                throw error("unterminated array: missing the closing ']'", at: opening)
            }
            if byte == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            let elementStart = mark()
            let element = try parseValue(inArray: true)
            let kind: String
            switch element {
            case .string: kind = "strings"
            case .integer: kind = "integers"
            case .boolean, .array:
                throw error("arrays of booleans are not supported; arrays hold strings or integers", at: elementStart)
            }
            if let firstKind, firstKind != kind {
                throw error("arrays mixing \(firstKind) and \(kind) are not supported; put one kind in an array", at: elementStart)
            }
            firstKind = kind
            elements.append(element)
            skipSpacesNewlinesAndComments()
            guard let next = peek() else {
                throw error("unterminated array: missing the closing ']'", at: opening)
            }
            switch next {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default:
                throw error("expected ',' or ']' in the array, found \(describeNext())")
            }
        }
    }

    // MARK: - Scanning

    private struct Mark {
        var offset: Int
        var line: Int
        var lineStart: Int
    }

    private func mark() -> Mark {
        Mark(offset: index, line: line, lineStart: lineStart)
    }

    private func column(of mark: Mark) -> Int {
        ConfigPosition.column(of: mark.offset, lineStart: mark.lineStart, in: bytes)
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func lookahead(_ text: String) -> Bool {
        bytes[index...].starts(with: text.utf8)
    }

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            index += 1
        }
    }

    private mutating func skipComment() {
        while let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") {
            index += 1
        }
    }

    /// Consumes "\n" or "\r\n" (a lone "\r" was rejected by the text check).
    private mutating func consumeNewline() {
        if peek() == UInt8(ascii: "\r") {
            index += 1
        }
        if peek() == UInt8(ascii: "\n") {
            index += 1
        }
        line += 1
        lineStart = index
    }

    private mutating func skipSpacesNewlinesAndComments() {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): index += 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): consumeNewline()
            case UInt8(ascii: "#"): skipComment()
            default: return
            }
        }
    }

    /// Names the next character for messages: `'x'`, `U+00E9 'é'`, "the end of the line", …
    private func describeNext() -> String {
        guard let byte = peek() else { return "the end of the file" }
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return "the end of the line"
        case UInt8(ascii: "\t"): return "a tab"
        case UInt8(ascii: " "): return "a space"
        default:
            let end = min(bytes.count, index + Self.scalarByteCount(byte))
            return "'" + String(decoding: bytes[index..<end], as: UTF8.self) + "'"
        }
    }

    private func error(_ message: String) -> ConfigError {
        error(message, at: mark())
    }

    private func error(_ message: String, at mark: Mark) -> ConfigError {
        ConfigError(source: source, line: mark.line, column: column(of: mark), message: message)
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Characters that can make up an unquoted value token, including those of TOML floats and dates,
    /// so that such values are reported as unsupported rather than as trailing garbage.
    private static func isBareValueByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }

    private static func scalarByteCount(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
