import DaemonSupport
import Testing

@Suite("Config files: durations and file modes")
struct ConfigUnitsTests {
    @Test(
        "durations have digits and one unit",
        arguments: [
            ("250ms", Duration.milliseconds(250)),
            ("0ms", .zero),
            ("5s", .seconds(5)),
            ("2m", .seconds(120)),
            ("1h", .seconds(3600)),
            ("48h", .seconds(48 * 3600)),
        ]
    )
    func validDurations(text: String, expected: Duration) {
        #expect(ConfigUnits.duration(text) == expected)
    }

    @Test(
        "anything else is not a duration",
        arguments: ["", "5", "s", "5 s", "-5s", "+5s", "1.5s", "5S", "5sec", "1m30s", "5d", "9999999999999h", " 5s"]
    )
    func invalidDurations(text: String) {
        #expect(ConfigUnits.duration(text) == nil)
    }

    @Test(
        "file modes are 3 or 4 octal digits",
        arguments: [("0660", UInt32(0o660)), ("660", 0o660), ("0600", 0o600), ("2770", 0o2770), ("0000", 0), ("7777", 0o7777)]
    )
    func validModes(text: String, expected: UInt32) {
        #expect(ConfigUnits.fileMode(text) == expected)
    }

    @Test("anything else is not a file mode", arguments: ["", "66", "06600", "0680", "rw-rw----", "0x1B6", "-660", " 660"])
    func invalidModes(text: String) {
        #expect(ConfigUnits.fileMode(text) == nil)
    }
}
