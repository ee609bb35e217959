import DaemonSupport
import Logging
import Testing

@Suite("Logging: patron phone numbers are masked unless debugging")
struct PhoneNumberMaskTests {
    @Test(
        "the masked form keeps the country and area code and the last four digits",
        arguments: [
            ("+15551234567", "+1555…4567"),
            ("+447700900123", "+4477…0123"),
            ("5551234567", "5551…4567"),
            ("1234567", "…67"),
            ("12345", "…45"),
            ("1234", "…"),
            ("", "…"),
        ]
    )
    func masking(number: String, expected: String) {
        #expect(PhoneNumberMask.masked(number) == expected)
    }

    @Test("full numbers appear only at debug and trace levels", arguments: Logger.Level.allCases)
    func levels(level: Logger.Level) {
        let shown = PhoneNumberMask.forLog("+15551234567", level: level)
        #expect(shown == (level <= .debug ? "+15551234567" : "+1555…4567"))
    }

    @Test("a logger masks according to its own level")
    func loggerMetadata() {
        var logger = Logger(label: "twilio") { JournalLogHandler(label: $0, level: .info) }
        #expect(logger.patronPhone("+15551234567") == "+1555…4567")
        logger.logLevel = .debug
        #expect(logger.patronPhone("+15551234567") == "+15551234567")
    }
}
