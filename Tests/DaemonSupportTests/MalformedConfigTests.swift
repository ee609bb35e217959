import DaemonSupport
import Testing

/// One malformed input and what its error must say.
struct MalformedConfig: CustomTestStringConvertible, Sendable {
    var text: String
    /// `file:line:column` (or less) that the description must start with.
    var location: String
    var fragment: String

    init(_ text: String, at location: String, _ fragment: String) {
        self.text = text
        self.location = location
        self.fragment = fragment
    }

    var testDescription: String { fragment }
}

@Suite("Config files: malformed input is refused with file:line:column and the reason")
struct MalformedConfigTests {
    static let cases: [MalformedConfig] = [
        // Keys and '='
        MalformedConfig("[router]\nsocket \"/run/x\"\n", at: "r.toml:2:8", #"expected '=' after key "socket", found '"'"#),
        MalformedConfig("socket\n", at: "r.toml:1:7", #"expected '=' after key "socket", found the end of the line"#),
        MalformedConfig("= 5\n", at: "r.toml:1:1", "expected a key, found '='"),
        MalformedConfig("\"quoted key\" = 1\n", at: "r.toml:1:1", "quoted keys are not supported"),
        MalformedConfig("a.b = 1\n", at: "r.toml:1:2", "dotted keys are not supported"),
        MalformedConfig("naïve = 1\n", at: "r.toml:1:3", "expected '=' after key \"na\", found 'ï'"),
        MalformedConfig("key =\n", at: "r.toml:1:6", "expected a value, found the end of the line"),
        MalformedConfig("key = ", at: "r.toml:1:7", "expected a value, found the end of the file"),
        MalformedConfig("key = # nothing\n", at: "r.toml:1:7", "expected a value, found '#'"),

        // Duplicates and redefinitions
        MalformedConfig("a = 1\nb = 2\na = 3\n", at: "r.toml:3:1", #"duplicate key "a" (first defined at line 1)"#),
        MalformedConfig("[r]\nx = 1\n\n[r]\n", at: "r.toml:4:1", "table [r] is defined twice (first at line 1)"),
        MalformedConfig("[r.s]\n[r]\n[r]\n", at: "r.toml:3:1", "table [r] is defined twice (first at line 2)"),
        MalformedConfig("[r]\ns = 1\n[r.s]\n", at: "r.toml:3:1", #"cannot define table [r.s]: key "r.s" already holds an integer (line 2)"#),
        MalformedConfig("[r]\ns = 1\n[r.s.t]\n", at: "r.toml:3:1", #"key "r.s" already holds an integer"#),
        MalformedConfig("[r.s]\n[r]\ns = 1\n", at: "r.toml:3:1", #"duplicate key "r.s" (first defined at line 1)"#),
        MalformedConfig("[c]\n[[c]]\n", at: "r.toml:2:1", #"cannot define [[c]]: "c" is already a table (line 1)"#),
        MalformedConfig("[[c]]\n[c]\n", at: "r.toml:2:1", #"cannot define table [c]: "c" is already an array of tables (line 1)"#),
        MalformedConfig("c = [1]\n[[c]]\n", at: "r.toml:2:1", #"key "c" already holds an array"#),
        MalformedConfig("[[c]]\nx = 1\nx = 2\n", at: "r.toml:3:1", #"duplicate key "c.x""#),

        // Headers
        MalformedConfig("[router\n", at: "r.toml:1:8", "expected ']' to close the table header [router], found the end of the line"),
        MalformedConfig("[[canned]\n", at: "r.toml:1:10", "expected ']]' to close the table header [[canned]]"),
        MalformedConfig("[]\n", at: "r.toml:1:2", "expected a key, found ']'"),
        MalformedConfig("[a.]\n", at: "r.toml:1:4", "expected a key, found ']'"),
        MalformedConfig("[a] x = 1\n", at: "r.toml:1:5", "unexpected 'x' after the table header"),
        MalformedConfig("[a.b.c.d.e.f.g.h.i]\n", at: "r.toml:1:1", "table header a.b.c.d.e.f.g.h.i nests more than the maximum 8 levels"),

        // Strings
        MalformedConfig("s = \"open\n", at: "r.toml:1:5", "unterminated string: missing the closing '\"'"),
        MalformedConfig("s = \"open", at: "r.toml:1:5", "unterminated string"),
        MalformedConfig("s = 'open\n", at: "r.toml:1:5", "unterminated string: missing the closing \"'\""),
        MalformedConfig("s = \"ends with \\", at: "r.toml:1:16", "unterminated string: a '\\' ends the line"),
        MalformedConfig("s = \"a\\qb\"\n", at: "r.toml:1:7", #"invalid escape "\q" (allowed: \" \\ \n \t \uXXXX)"#),
        MalformedConfig("s = \"\\r\"\n", at: "r.toml:1:6", #"escapes other than \" \\ \n \t \uXXXX are not supported (got "\r")"#),
        MalformedConfig("s = \"\\U0001F600\"\n", at: "r.toml:1:6", #"are not supported (got "\U")"#),
        MalformedConfig("s = \"\\u12\"\n", at: "r.toml:1:6", #""\u" must be followed by exactly 4 hex digits"#),
        MalformedConfig("s = \"\\u12G4\"\n", at: "r.toml:1:6", "exactly 4 hex digits"),
        MalformedConfig("s = \"\\uD800\"\n", at: "r.toml:1:6", "not a Unicode scalar value"),
        MalformedConfig("s = \"\"\"multi\"\"\"\n", at: "r.toml:1:5", "multi-line strings are not supported"),
        MalformedConfig("s = '''multi'''\n", at: "r.toml:1:5", "multi-line strings are not supported"),

        // Garbage after a value
        MalformedConfig("s = \"a\" \"b\"\n", at: "r.toml:1:9", "unexpected '\"' after the value; expected a comment or the end of the line"),
        MalformedConfig("n = 5 6\n", at: "r.toml:1:7", "unexpected '6' after the value"),
        MalformedConfig("b = true!\n", at: "r.toml:1:9", "unexpected '!' after the value"),

        // Numbers and bare words
        MalformedConfig("mode = 0660\n", at: "r.toml:1:8", #"leading zeros are not allowed (write a file mode as a string, like "0660")"#),
        MalformedConfig("n = 1__000\n", at: "r.toml:1:5", "'_' must sit between digits"),
        MalformedConfig("n = 1000_\n", at: "r.toml:1:5", "'_' must sit between digits"),
        MalformedConfig("n = 12abc\n", at: "r.toml:1:5", "invalid integer 12abc"),
        MalformedConfig("n = 9223372036854775808\n", at: "r.toml:1:5", "integer 9223372036854775808 does not fit in 64 bits"),
        MalformedConfig("n = -9223372036854775809\n", at: "r.toml:1:5", "does not fit in 64 bits"),
        MalformedConfig("n = 3.14\n", at: "r.toml:1:5", "floating-point numbers are not supported (got 3.14)"),
        MalformedConfig("n = 1e6\n", at: "r.toml:1:5", "floating-point numbers are not supported"),
        MalformedConfig("n = nan\n", at: "r.toml:1:5", "floating-point numbers are not supported (got nan)"),
        MalformedConfig("n = 0x1F\n", at: "r.toml:1:5", "hexadecimal, octal and binary integers are not supported"),
        MalformedConfig("d = 1979-05-27\n", at: "r.toml:1:5", "dates and times are not supported"),
        MalformedConfig("n = -\n", at: "r.toml:1:5", "expected a number after the sign"),
        MalformedConfig("s = hello\n", at: "r.toml:1:5", #"invalid value hello: strings must be quoted, as in "hello""#),
        MalformedConfig("b = True\n", at: "r.toml:1:5", "booleans are true or false"),
        MalformedConfig("t = {a = 1}\n", at: "r.toml:1:5", "inline tables are not supported"),

        // Arrays
        MalformedConfig("a = [1, 2\n", at: "r.toml:1:5", "unterminated array: missing the closing ']'"),
        MalformedConfig("a = [1, 2,\n# still open\n", at: "r.toml:1:5", "unterminated array"),
        MalformedConfig("a = [1 2]\n", at: "r.toml:1:8", "expected ',' or ']' in the array, found '2'"),
        MalformedConfig("a = [1, \"two\"]\n", at: "r.toml:1:9", "arrays mixing integers and strings are not supported"),
        MalformedConfig("a = [[1], [2]]\n", at: "r.toml:1:6", "nested arrays are not supported"),
        MalformedConfig("a = [true]\n", at: "r.toml:1:6", "arrays of booleans are not supported; arrays hold strings or integers"),
        MalformedConfig("a = [,]\n", at: "r.toml:1:6", "expected a value, found ','"),

        // Bytes that are not text
        MalformedConfig("a = \"bell\u{07}\"\n", at: "r.toml:1:10", "control character U+0007 is not allowed (only tab and newline are)"),
        MalformedConfig("# comment with escape \u{1B}[31m\n", at: "r.toml:1:23", "control character U+001B"),
        MalformedConfig("a = 1\rb = 2\n", at: "r.toml:1:6", "control character U+000D"),
        MalformedConfig("a = 1\u{7F}\n", at: "r.toml:1:6", "control character U+007F"),
        MalformedConfig("é = \u{00}\n", at: "r.toml:1:5", "control character U+0000"),
    ]

    @Test("each malformed input gets its own message", arguments: cases)
    func malformedInput(_ example: MalformedConfig) {
        do {
            _ = try ConfigDocument(parsing: example.text, source: "r.toml")
            Issue.record("accepted malformed input \(example.text.debugDescription)")
        } catch {
            #expect(error.description.hasPrefix(example.location + ": "), "\(error.description)")
            #expect(error.description.contains(example.fragment), "\(error.description)")
        }
    }

    static let invalidUTF8Cases: [([UInt8], String)] = [
        ([0x61, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0x22, 0x0A], "t.toml:1:6: invalid UTF-8 (byte 0xFF)"),
        (Array("a = \"é\"\nb = \"".utf8) + [0xC3, 0x28, 0x22], "t.toml:2:6: invalid UTF-8 (byte 0xC3)"),
        (Array("# overlong slash ".utf8) + [0xC0, 0xAF], "t.toml:1:18: invalid UTF-8 (byte 0xC0)"),
        (Array("# surrogate ".utf8) + [0xED, 0xA0, 0x80], "t.toml:1:13: invalid UTF-8 (byte 0xED)"),
        (Array("# truncated ".utf8) + [0xE2, 0x98], "t.toml:1:13: invalid UTF-8 (byte 0xE2)"),
        (Array("# above U+10FFFF ".utf8) + [0xF4, 0x90, 0x80, 0x80], "t.toml:1:18: invalid UTF-8 (byte 0xF4)"),
    ]

    @Test("invalid UTF-8 is refused at the offending byte", arguments: invalidUTF8Cases)
    func invalidUTF8(bytes: [UInt8], expected: String) {
        do {
            _ = try ConfigDocument(parsing: bytes, source: "t.toml")
            Issue.record("accepted invalid UTF-8 \(bytes)")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test("input over 1 MiB is refused before parsing")
    func oversizedInput() {
        let text = String(repeating: "#", count: ConfigDocument.maximumInputBytes + 1)
        do {
            _ = try ConfigDocument(parsing: text, source: "big.toml")
            Issue.record("an oversized input was accepted")
        } catch {
            #expect(error.description == "big.toml: the file is 1048577 bytes long, more than the maximum 1048576")
            #expect(error.line == nil)
        }
    }

    @Test("an error description has the file:line:column: message shape")
    func errorShape() {
        do {
            _ = try ConfigDocument(parsing: "[router]\n# the socket\n\nsocket   /run/x\n", source: "router.toml")
            Issue.record("a missing '=' was accepted")
        } catch {
            #expect(error.source == "router.toml")
            #expect(error.line == 4)
            #expect(error.column == 10)
            #expect(error.description == "router.toml:4:10: expected '=' after key \"socket\", found '/'")
        }
    }
}
