import Testing
@testable import RefdeskCore

@Suite("Time and message age")
struct TimeAndAgeTests {
    @Test("timestamps add and subtract durations in milliseconds")
    func arithmetic() {
        let start = Timestamp(millisecondsSinceEpoch: 1_000)
        #expect(start + .seconds(2) == Timestamp(millisecondsSinceEpoch: 3_000))
        #expect(start - .milliseconds(250) == Timestamp(millisecondsSinceEpoch: 750))
        #expect(Timestamp(millisecondsSinceEpoch: 4_500) - start == .milliseconds(3_500))
        #expect(start - Timestamp(millisecondsSinceEpoch: 4_500) == .milliseconds(-3_500))
        #expect(start < start + .milliseconds(1))
    }

    static let ageTable: [(age: Duration, expected: String)] = [
        (.seconds(20), "just now"),
        (.seconds(60), "1 min"),
        (.seconds(5 * 60 + 59), "5 min"),
        (.seconds(2 * 3600), "2 h"),
        (.seconds(2 * 3600 + 5 * 60), "2 h 5 min"),
        (.seconds(26 * 3600 + 30 * 60), "1 d 2 h"),
        (.seconds(3 * 86400), "3 d"),
        (.seconds(-30), "just now"),
    ]

    @Test("ages read like a person would say them", arguments: ageTable)
    func ages(age: Duration, expected: String) {
        #expect(MessageAge.describe(age) == expected)
    }

    @Test("a delivered offline message is marked with its age")
    func marking() {
        let sent = t(0)
        #expect(MessageAge.mark("Are you open Sunday?", sentAt: sent, now: sent + .seconds(2 * 3600 + 5 * 60)) == "(sent 2 h 5 min ago) Are you open Sunday?")
        #expect(MessageAge.mark("Hello", sentAt: sent, now: sent + .seconds(10)) == "(sent just now) Hello")
    }
}
