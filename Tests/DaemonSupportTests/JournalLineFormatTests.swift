import DaemonSupport
import Logging
import Testing

@Suite("Logging: one journald line per event")
struct JournalLineFormatTests {
    @Test(
        "the <P> prefix is the syslog priority of the level",
        arguments: [
            (Logger.Level.critical, 2), (.error, 3), (.warning, 4), (.notice, 5), (.info, 6), (.debug, 7), (.trace, 7),
        ]
    )
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalLineFormat.syslogPriority(of: level) == priority)
        #expect(JournalLineFormat.line(level: level, message: "m", label: "l", metadata: [:]) == "<\(priority)>m logger=l")
    }

    @Test("metadata follows the logger label, sorted by key")
    func sortedMetadata() {
        let line = JournalLineFormat.line(
            level: .info,
            message: "patron joined",
            label: "router",
            metadata: ["queue": "general", "channel": "sms", "attempt": .stringConvertible(3)]
        )
        #expect(line == "<6>patron joined logger=router attempt=3 channel=sms queue=general")
    }

    @Test(
        "values with spaces, quotes, '=' or backslashes are quoted and escaped",
        arguments: [
            ("plain", "plain"),
            ("two words", "\"two words\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("a=b", "\"a=b\""),
            ("C:\\dir", "\"C:\\\\dir\""),
            ("", "\"\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("tab\there", "\"tab\\there\""),
            ("ünïcødé", "ünïcødé"),
        ]
    )
    func fieldQuoting(value: String, expected: String) {
        #expect(JournalLineFormat.field(value) == expected)
    }

    @Test("messages never span lines: line breaks and control characters are escaped")
    func messageEscaping() {
        let line = JournalLineFormat.line(
            level: .error,
            message: "first\nsecond\r\nthird\u{1B}[0m\u{2028}end",
            label: "twilio",
            metadata: ["body": "a\nb"]
        )
        #expect(line == "<3>first\\nsecond\\r\\nthird\\u{1b}[0m\\u{2028}end logger=twilio body=\"a\\nb\"")
        #expect(!line.contains("\n"))
        #expect(!line.contains("\r"))
    }

    @Test("keys cannot break the line's structure")
    func keySanitising() {
        let line = JournalLineFormat.line(level: .info, message: "m", label: "my label", metadata: ["a key=x": "v", "": "e"])
        #expect(line == "<6>m logger=\"my label\" _=e a_key_x=v")
    }

    @Test("arrays and dictionaries are written as their description, quoted")
    func nestedMetadata() {
        let line = JournalLineFormat.line(level: .info, message: "m", label: "l", metadata: ["ids": ["1", "2"]])
        #expect(line == #"<6>m logger=l ids="[\"1\", \"2\"]""#)
    }
}
