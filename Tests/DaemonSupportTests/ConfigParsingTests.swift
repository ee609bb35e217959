import DaemonSupport
import Testing

@Suite("Config files: the supported TOML subset parses")
struct ConfigParsingTests {
    @Test("sections, sub-sections, comments and every value type")
    func fullExample() throws {
        let text = """
            # refdesk router
            top = "level"

            [router]
            socket = "/run/refdesk/router.sock"   # trailing comment
            socket_mode = '0660'
            max_sessions = 1_000
            offset = -42
            positive = +7
            enabled = true
            debug = false
            queues = ["general", 'science',]
            ports = [
              5222,  # client
              5269,
            ]
            empty = []

            [router.limits]
            burst = 0
            """
        let document = try ConfigDocument(parsing: text, source: "router.toml")
        #expect(document.value(at: "top") == .string("level"))
        #expect(document.value(at: "router.socket") == .string("/run/refdesk/router.sock"))
        #expect(document.value(at: "router.socket_mode") == .string("0660"))
        #expect(document.value(at: "router.max_sessions") == .integer(1000))
        #expect(document.value(at: "router.offset") == .integer(-42))
        #expect(document.value(at: "router.positive") == .integer(7))
        #expect(document.value(at: "router.enabled") == .boolean(true))
        #expect(document.value(at: "router.debug") == .boolean(false))
        #expect(document.value(at: "router.queues") == .array([.string("general"), .string("science")]))
        #expect(document.value(at: "router.ports") == .array([.integer(5222), .integer(5269)]))
        #expect(document.value(at: "router.empty") == .array([]))
        #expect(document.value(at: "router.limits.burst") == .integer(0))
        #expect(document.value(at: "router.limits") == nil, "a table is not a plain value")
        #expect(document.value(at: "router.missing") == nil)
    }

    @Test(
        "basic strings decode their escapes",
        arguments: [
            (#""say \"hi\"""#, "say \"hi\""),
            (#""back\\slash""#, "back\\slash"),
            (#""line\nbreak""#, "line\nbreak"),
            (#""tab\there""#, "tab\there"),
            (#""caf\u00E9""#, "café"),
            (#""\u2603 snow""#, "☃ snow"),
            (#""raw ünïcødé ☃""#, "raw ünïcødé ☃"),
            (#"'C:\path\no escapes'"#, #"C:\path\no escapes"#),
            (#""""#, ""),
            (##""# not a comment""##, "# not a comment"),
        ]
    )
    func stringEscapes(literal: String, expected: String) throws {
        let document = try ConfigDocument(parsing: "value = \(literal)\n", source: "t.toml")
        #expect(document.value(at: "value") == .string(expected))
    }

    @Test("integers at the limits of 64 bits")
    func integerLimits() throws {
        let document = try ConfigDocument(
            parsing: "max = 9223372036854775807\nmin = -9223372036854775808\nzero = -0\n",
            source: "t.toml"
        )
        #expect(document.value(at: "max") == .integer(Int.max))
        #expect(document.value(at: "min") == .integer(Int.min))
        #expect(document.value(at: "zero") == .integer(0))
    }

    @Test("CRLF line ends, a byte-order mark and a missing final newline are accepted")
    func lineEndsAndByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("[a]\r\nx = 1\r\ny = \"two\"".utf8)
        let document = try ConfigDocument(parsing: bytes, source: "t.toml")
        #expect(document.value(at: "a.x") == .integer(1))
        #expect(document.value(at: "a.y") == .string("two"))
    }

    @Test("a table implied by a deeper header may get its own header later, once")
    func impliedTableDefinedLater() throws {
        let document = try ConfigDocument(parsing: "[a.b]\nx = 1\n[a]\ny = 2\n", source: "t.toml")
        #expect(document.value(at: "a.b.x") == .integer(1))
        #expect(document.value(at: "a.y") == .integer(2))
    }

    @Test("each [[header]] starts a new entry; sub-tables attach to the latest entry")
    func arrayOfTables() throws {
        let text = """
            [[canned]]
            name = "hours"
            [canned.reply]
            text = "We open at 9."
            [[canned]]
            name = "wifi"
            """
        var reader = ConfigReader(try ConfigDocument(parsing: text, source: "t.toml"))
        var entries = try reader.tables("canned")
        #expect(entries.count == 2)
        try #require(entries.count == 2)
        #expect(try entries[0].string("name") == "hours")
        #expect(try entries[0].string("reply.text") == "We open at 9.")
        #expect(try entries[1].string("name") == "wifi")
        #expect(try entries[1].string("reply.text") == nil)
    }

    @Test("a file of exactly the maximum size parses, in reasonable time")
    func largestAcceptedFile() throws {
        var text = ""
        var count = 0
        while text.utf8.count < ConfigDocument.maximumInputBytes - 64 {
            text += "[[entry]]\nkey\(count) = \(count)\n"
            count += 1
        }
        text += String(repeating: "#", count: ConfigDocument.maximumInputBytes - text.utf8.count)
        #expect(text.utf8.count == ConfigDocument.maximumInputBytes)
        var reader = ConfigReader(try ConfigDocument(parsing: text, source: "big.toml"))
        #expect(try reader.tables("entry").count == count)
    }
}
