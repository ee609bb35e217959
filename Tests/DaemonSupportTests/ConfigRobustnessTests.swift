import DaemonSupport
import Testing

@Suite("Config files: hostile input")
struct ConfigRobustnessTests {
    /// Fragments that exercise every branch of the grammar when glued together at random.
    static let fragments: [String] = [
        "[", "]", "[[", "]]", ".", "=", " ", "\t", "\n", "\r\n", "#", "\"", "'", "\\", "\\u", "\\uD800", "\\u00e9",
        "a", "key", "-", "_", "+", "0", "1_000", "9223372036854775807", "99999999999999999999", "true", "false",
        "1.5", "1979-05-27", "{", "}", ",", "é", "☃", "\u{7}", "\"\"\"", "'''", "[a.b]", "[[c]]", "x = 1\n",
    ]

    @Test("random fragment soup either parses or fails at a location inside the input", arguments: 0..<8)
    func randomInput(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        for _ in 0..<400 {
            let count = Int(random.next() % 40)
            var text = ""
            for _ in 0..<count {
                text += Self.fragments[Int(random.next() % UInt64(Self.fragments.count))]
            }
            let lineCount = text.utf8.count { $0 == UInt8(ascii: "\n") } + 1
            do {
                // Reading must not trip over whatever shape the soup produced.
                var reader = ConfigReader(try ConfigDocument(parsing: text, source: "fuzz.toml"))
                _ = try? reader.string("a")
                _ = try? reader.tables("c")
                _ = try? reader.rejectUnknownKeys()
            } catch {
                let line = error.line ?? 0
                #expect(line >= 1 && line <= lineCount, "\(error.description) for \(text.debugDescription)")
                #expect(error.column.map { $0 >= 1 } ?? true)
            }
        }
    }

    @Test("deep but legal nesting stays within the limit")
    func maximumDepth() throws {
        let header = (1...ConfigDocument.maximumTableDepth).map { "t\($0)" }.joined(separator: ".")
        let document = try ConfigDocument(parsing: "[\(header)]\nx = 1\n", source: "deep.toml")
        #expect(document.value(at: header + ".x") == .integer(1))
    }

    @Test("very long lines and many keys are handled")
    func longLine() throws {
        let elements = (0..<50_000).map(String.init).joined(separator: ",")
        let document = try ConfigDocument(parsing: "numbers = [\(elements)]\n", source: "long.toml")
        guard case .array(let values) = document.value(at: "numbers") else {
            Issue.record("the array was not parsed")
            return
        }
        #expect(values.count == 50_000)
        #expect(values.last == .integer(49_999))
    }
}
