import DaemonSupport
import Testing

@Suite("Config files: typed reads, defaults and unknown keys")
struct ConfigReaderTests {
    static let routerFile = """
        [router]
        socket = "/run/refdesk/router.sock"
        socket_mode = "0660"
        max_sessions = 200
        verbose = true
        queues = ["general", "science"]
        idle_timeout = "2m"

        [[canned]]
        name = "hours"
        text = "We open at 9."

        [[canned]]
        name = "wifi"
        text = "Ask at the desk."
        """

    func reader(_ text: String) throws -> ConfigReader {
        ConfigReader(try ConfigDocument(parsing: text, source: "router.toml"))
    }

    /// The description of the error `body` throws, or nil (and an issue) if it throws none.
    func errorDescription(_ body: () throws -> Void) -> String? {
        do {
            try body()
            Issue.record("no error was thrown")
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test("values present in the file are returned with their types")
    func typedReads() throws {
        var config = try reader(Self.routerFile)
        #expect(try config.string("router.socket") == "/run/refdesk/router.sock")
        #expect(try config.fileMode("router.socket_mode", default: 0o600) == 0o660)
        #expect(try config.int("router.max_sessions", in: 1...1000, default: 50) == 200)
        #expect(try config.bool("router.verbose", default: false) == true)
        #expect(try config.strings("router.queues", default: []) == ["general", "science"])
        #expect(try config.duration("router.idle_timeout", default: .seconds(30)) == .seconds(120))
        let canned = try config.tables("canned")
        #expect(canned.count == 2)
        try config.rejectUnknownKeys()
    }

    @Test("absent keys give the defaults")
    func defaults() throws {
        var config = try reader("[router]\n")
        #expect(try config.string("router.socket") == nil)
        #expect(try config.string("router.socket", default: "/run/x") == "/run/x")
        #expect(try config.int("router.max_sessions", in: 1...10, default: 5) == 5)
        #expect(try config.bool("router.verbose", default: true) == true)
        #expect(try config.strings("router.queues", default: ["a"]) == ["a"])
        #expect(try config.duration("router.idle_timeout", default: .milliseconds(250)) == .milliseconds(250))
        #expect(try config.fileMode("router.socket_mode", default: 0o640) == 0o640)
        #expect(try config.tables("canned").isEmpty)
        #expect(try config.string("nowhere.at.all") == nil)
        try config.rejectUnknownKeys()
    }

    @Test("an empty array in the file overrides the default")
    func emptyArrayIsNotDefault() throws {
        var config = try reader("queues = []\n")
        #expect(try config.strings("queues", default: ["general"]) == [])
    }

    @Test(
        "a value of the wrong kind names the key, its line, what was expected and what was found",
        arguments: [
            ("[router]\n\nsocket = 5\n", "router.toml:3: key \"router.socket\": expected a string, got 5"),
            ("[router]\nmax_sessions = \"10\"\n", "router.toml:2: key \"router.max_sessions\": expected an integer, got \"10\""),
            ("[router]\nmax_sessions = 0\n", "router.toml:2: key \"router.max_sessions\": 0 is outside the allowed range 1...1000"),
            ("[router]\nverbose = \"yes\"\n", "router.toml:2: key \"router.verbose\": expected true or false, got \"yes\""),
            ("[router]\nqueues = \"general\"\n", "router.toml:2: key \"router.queues\": expected an array of strings, got \"general\""),
            ("[router]\nqueues = [1, 2]\n", "router.toml:2: key \"router.queues\": expected an array of strings, got [1, 2]"),
            ("[router]\nsocket_mode = 660\n", "router.toml:2: key \"router.socket_mode\": expected an octal mode like \"0660\", got 660"),
            ("[router]\nsocket_mode = \"0980\"\n", "router.toml:2: key \"router.socket_mode\": expected an octal mode like \"0660\", got \"0980\""),
            (
                "[router]\nidle_timeout = 30\n",
                "router.toml:2: key \"router.idle_timeout\": expected a duration like \"250ms\", \"5s\", \"2m\" or \"1h\", got 30"
            ),
            ("[router.socket]\n", "router.toml:1: key \"router.socket\": expected a value, got a table"),
            ("router = 1\n", "router.toml:1: key \"router.socket\": \"router\" is an integer, not a table"),
        ]
    )
    func wrongKinds(text: String, expected: String) throws {
        var config = try reader(text)
        let description = errorDescription {
            _ = try config.string("router.socket")
            _ = try config.int("router.max_sessions", in: 1...1000, default: 5)
            _ = try config.bool("router.verbose", default: false)
            _ = try config.strings("router.queues", default: [])
            _ = try config.fileMode("router.socket_mode", default: 0o600)
            _ = try config.duration("router.idle_timeout", default: .seconds(1))
        }
        #expect(description == expected)
    }

    @Test("long values are shortened in messages")
    func longValuesShortened() throws {
        var config = try reader("n = \"\(String(repeating: "x", count: 100))\"\n")
        let description = errorDescription { _ = try config.int("n", in: 0...1, default: 0) }
        #expect(description == "router.toml:1: key \"n\": expected an integer, got \"\(String(repeating: "x", count: 39))…")
    }

    @Test("[[entries]] read as a single table, or a table read as entries, are errors")
    func tableArrayMismatch() throws {
        var entries = try reader("[[canned]]\nname = \"a\"\n")
        #expect(errorDescription { _ = try entries.string("canned.name") } == "router.toml:1: key \"canned.name\": \"canned\" is an array of tables, not a table")
        var table = try reader("[canned]\nname = \"a\"\n")
        #expect(errorDescription { _ = try table.tables("canned") } == "router.toml:1: key \"canned\": expected [[canned]] entries, got a table")
    }

    @Test("a misspelt key is reported with its line and the nearest known key")
    func unknownKeySuggestion() throws {
        var config = try reader("[router]\n# where bridges connect\nsokcet = \"/run/x\"\n")
        _ = try config.string("router.socket", default: "/run/refdesk/router.sock")
        _ = try config.int("router.max_sessions", in: 1...10, default: 5)
        #expect(
            errorDescription { try config.rejectUnknownKeys() }
                == "router.toml:3: unknown key \"router.sokcet\" (did you mean \"router.socket\"?)"
        )
    }

    @Test("an unknown key far from every known key gets no suggestion")
    func unknownKeyWithoutSuggestion() throws {
        var config = try reader("[router]\ncolour = \"blue\"\n")
        _ = try config.string("router.socket")
        #expect(errorDescription { try config.rejectUnknownKeys() } == "router.toml:2: unknown key \"router.colour\"")
    }

    @Test("the first unknown key in file order is the one reported")
    func unknownKeysInFileOrder() throws {
        var config = try reader("[a]\nknown = 1\n[b]\nlater = 1\n[a.c]\nearlier_table_later_line = 1\n[d]\n")
        _ = try config.int("a.known", in: 0...1, default: 0)
        #expect(errorDescription { try config.rejectUnknownKeys() } == "router.toml:4: unknown key \"b.later\"")
    }

    @Test("a misspelt section is reported through its first key")
    func unknownSection() throws {
        var config = try reader("[routr]\nsocket = \"/run/x\"\n")
        _ = try config.string("router.socket")
        #expect(
            errorDescription { try config.rejectUnknownKeys() }
                == "router.toml:2: unknown key \"routr.socket\" (did you mean \"router.socket\"?)"
        )
    }

    @Test("an empty section nobody reads is unknown; one with known keys under it is not")
    func emptySections() throws {
        var unused = try reader("[router]\n[twilio]\n")
        _ = try unused.string("router.socket")
        #expect(errorDescription { try unused.rejectUnknownKeys() } == "router.toml:2: unknown key \"twilio\"")
    }

    @Test("[[entries]] check their own keys and are named by position")
    func entriesRejectTheirOwnUnknownKeys() throws {
        var config = try reader(Self.routerFile + "\n\n[[canned]]\nname = \"late\"\ntxet = \"misspelt\"\n")
        var canned = try config.tables("canned")
        try #require(canned.count == 3)
        for index in canned.indices {
            _ = try canned[index].string("name")
            _ = try canned[index].string("text")
        }
        try canned[0].rejectUnknownKeys()
        try canned[1].rejectUnknownKeys()
        #expect(
            errorDescription { try canned[2].rejectUnknownKeys() }
                == "router.toml:19: unknown key \"canned[3].txet\" (did you mean \"canned[3].text\"?)"
        )
    }

    @Test("keys of [[entries]] nobody read make the parent reject them")
    func unreadEntries() throws {
        var config = try reader("[[canned]]\nname = \"a\"\n")
        _ = try config.string("router.socket")
        #expect(errorDescription { try config.rejectUnknownKeys() } == "router.toml:1: unknown key \"canned\"")
    }

    @Test("an error about a value a daemon found wrong names the file, the key's line and the key")
    func invalidValuesAreLocated() throws {
        var reader = try reader(Self.routerFile)
        _ = try reader.duration("router.idle_timeout", default: .seconds(1))
        #expect(reader.invalid("router.idle_timeout", "too long").description == "router.toml:7: key \"router.idle_timeout\": too long")
        #expect(reader.line(of: "router") == 1)
    }

    @Test("a key the file leaves out is located at the section that should hold it, or nowhere")
    func missingKeysPointAtTheirSection() throws {
        let reader = try reader(Self.routerFile)
        #expect(reader.invalid("router.time_zone", "is required").description == "router.toml:1: key \"router.time_zone\": is required")
        #expect(reader.invalid("xmpp.domain", "is required").description == "router.toml: key \"xmpp.domain\": is required")
    }

    @Test("errors inside an [[entry]] name the entry and the line of its key")
    func entryErrorsNameTheEntry() throws {
        var reader = try reader(Self.routerFile)
        let second = try reader.tables("canned")[1]
        #expect(second.invalid("text", "too short").description == "router.toml:15: key \"canned[2].text\": too short")
        #expect(second.invalid("emoji", "is required").description == "router.toml:13: key \"canned[2].emoji\": is required")
    }

    @Test("an error from reading a file the setting names gets that setting's line")
    func locatingAnUnlocatedError() throws {
        let reader = try reader(Self.routerFile)
        let unreadable = ConfigError(source: "router.toml", message: "key \"router.socket\": cannot read it")
        #expect(reader.locate(unreadable, at: "router.socket").description == "router.toml:2: key \"router.socket\": cannot read it")
        let located = ConfigError(source: "router.toml", line: 9, message: "elsewhere")
        #expect(reader.locate(located, at: "router.socket") == located)
    }
}
