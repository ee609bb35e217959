import Testing
@testable import TimeZoneDatabase

/// The offset a footer rule gives one second before, at, and one second after a switch.
struct Switch: Sendable, CustomTestStringConvertible {
    var rule: String
    /// The switch, in seconds since 1970 UTC.
    var at: Int64
    var before: Int64
    var after: Int64
    var testDescription: String { "\(rule) at \(at)" }
}

@Suite("POSIX TZ rules in TZif footers")
struct POSIXTimeZoneRuleTests {
    static let hour: Int64 = 3600

    static let switches: [Switch] = [
        // US: second Sunday of March 02:00 EST (07:00 UTC), first Sunday of November 02:00 EDT (06:00 UTC).
        Switch(rule: "EST5EDT,M3.2.0,M11.1.0", at: 1_710_054_000, before: -5 * hour, after: -4 * hour),
        Switch(rule: "EST5EDT,M3.2.0,M11.1.0", at: 1_730_613_600, before: -4 * hour, after: -5 * hour),
        // Israel: the day after the fourth Thursday of March at 02:00 (written 26:00 Thursday),
        // last Sunday of October at 02:00 IDT. 2024: Friday 29 March 00:00 UTC, Saturday 26 October 23:00 UTC.
        Switch(rule: "IST-2IDT,M3.4.4/26,M10.5.0", at: 1_711_670_400, before: 2 * hour, after: 3 * hour),
        Switch(rule: "IST-2IDT,M3.4.4/26,M10.5.0", at: 1_729_983_600, before: 3 * hour, after: 2 * hour),
        // Greenland: the Saturday before the last Sunday of March at 22:00 -03 (written -2:00 Sunday)
        // and of October at 23:00 -02; both at 01:00 UTC on the Sunday.
        Switch(rule: "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", at: 1_711_846_800, before: -3 * hour, after: -2 * hour),
        Switch(rule: "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", at: 1_729_990_800, before: -2 * hour, after: -3 * hour),
        // Southern hemisphere: daylight time across the new year. 2024: ends Sunday 7 April 03:00
        // AEDT, starts Sunday 6 October 02:00 AEST.
        Switch(rule: "AEST-10AEDT,M10.1.0,M4.1.0/3", at: 1_712_419_200, before: 11 * hour, after: 10 * hour),
        Switch(rule: "AEST-10AEDT,M10.1.0,M4.1.0/3", at: 1_728_144_000, before: 10 * hour, after: 11 * hour),
        // `Jn` never counts February 29: J60 is 1 March in 2024 as in 2023 (02:00 -03 is 05:00 UTC).
        Switch(rule: "<-03>3<-02>,J60,J300", at: 1_709_269_200, before: -3 * hour, after: -2 * hour),
        Switch(rule: "<-03>3<-02>,J60,J300", at: 1_677_646_800, before: -3 * hour, after: -2 * hour),
        // Zero-based `n` counts it: day 59 is 29 February in 2024 but 1 March in 2023.
        Switch(rule: "<-03>3<-02>,59,300", at: 1_709_182_800, before: -3 * hour, after: -2 * hour),
        Switch(rule: "<-03>3<-02>,59,300", at: 1_677_646_800, before: -3 * hour, after: -2 * hour),
    ]

    @Test("the offset changes exactly at the switch", arguments: switches)
    func switchesAtTheRightSecond(_ change: Switch) throws {
        let rule = try POSIXTimeZoneRule(parsing: change.rule)
        #expect(rule.offset(atUnixTime: change.at - 1) == change.before)
        #expect(rule.offset(atUnixTime: change.at) == change.after)
        #expect(rule.offset(atUnixTime: change.at + 1) == change.after)
    }

    @Test("a zone without daylight saving has one offset, east of Greenwich when the text says minus")
    func fixedOffset() throws {
        let tehranStyle = try POSIXTimeZoneRule(parsing: "<+0330>-3:30")
        let utcMinus = try POSIXTimeZoneRule(parsing: "<-0930>9:30")
        let seconds = try POSIXTimeZoneRule(parsing: "LMT+0:17:30")
        for instant: Int64 in [.min, -2_208_988_800, 0, 1_710_054_000, 4_102_444_800, .max] {
            #expect(tehranStyle.offset(atUnixTime: instant) == 3 * Self.hour + 1800)
            #expect(utcMinus.offset(atUnixTime: instant) == -9 * Self.hour - 1800)
            #expect(seconds.offset(atUnixTime: instant) == -(17 * 60 + 30))
        }
    }

    @Test("daylight saving all year stays in daylight time, across every new year")
    func daylightSavingAllYear() throws {
        let rule = try POSIXTimeZoneRule(parsing: "EST5EDT4,0/0,J365/25")
        // 1 January 2024 00:00 EST is 05:00 UTC, where the previous year's end meets this year's start.
        let newYear: Int64 = 1_704_085_200
        for instant in [newYear - 1, newYear, newYear + 1, newYear + 180 * 86_400, newYear - 366 * 86_400] {
            #expect(rule.offset(atUnixTime: instant) == -4 * Self.hour)
        }
        for year: Int64 in [1900, 1970, 2037, 2100, 2400] {
            let january1 = ProlepticGregorian.firstDay(ofYear: year) * 86_400 + 5 * Self.hour
            #expect(rule.offset(atUnixTime: january1 - 1) == -4 * Self.hour, "\(year)")
            #expect(rule.offset(atUnixTime: january1) == -4 * Self.hour, "\(year)")
        }
    }

    @Test("the daylight offset defaults to one hour ahead of standard time")
    func defaultDaylightOffset() throws {
        let rule = try POSIXTimeZoneRule(parsing: "CET-1CEST,M3.5.0,M10.5.0/3")
        #expect(rule.offset(atUnixTime: 1_719_792_000) == 2 * Self.hour)  // 1 July 2024
        #expect(rule.offset(atUnixTime: 1_704_067_200) == Self.hour)  // 1 January 2024
    }

    @Test("a rule repeats every 400 years and answers at the ends of Int64")
    func repeatsAndIsTotal() throws {
        let rule = try POSIXTimeZoneRule(parsing: "EST5EDT,M3.2.0,M11.1.0")
        let cycle: Int64 = 146_097 * 86_400
        for instant: Int64 in [1_710_054_000 - 1, 1_710_054_000, 1_730_613_600 - 1, 1_730_613_600] {
            let offset = rule.offset(atUnixTime: instant)
            #expect(rule.offset(atUnixTime: instant + cycle) == offset)
            #expect(rule.offset(atUnixTime: instant - 5 * cycle) == offset)
        }
        #expect([-5 * Self.hour, -4 * Self.hour].contains(rule.offset(atUnixTime: .min)))
        #expect([-5 * Self.hour, -4 * Self.hour].contains(rule.offset(atUnixTime: .max)))
    }

    @Test(
        "a malformed TZ string is refused with what is wrong",
        arguments: [
            ("", "expected the standard time name"),
            ("EST", "expected the standard time offset hours"),
            ("ES5", "must be at least three characters"),
            ("<+03", "no closing \">\""),
            ("<+0 3>-3", "unexpected character in the quoted standard time name"),
            ("EST25", "standard time offset hours 25 is outside 0...24"),
            ("EST5:60", "minutes 60 is outside 0...59"),
            ("EST5EDT", "daylight saving time has no rule"),
            ("EST5EDT;M3.2.0,M11.1.0", "expected the daylight saving time offset hours"),
            ("EST5EDT,M13.2.0,M11.1.0", "start month 13 is outside 1...12"),
            ("EST5EDT,M3.6.0,M11.1.0", "start week 6 is outside 1...5"),
            ("EST5EDT,M3.2.7,M11.1.0", "start weekday 7 is outside 0...6"),
            ("EST5EDT,M3.2,M11.1.0", "expected \".\" after the start week"),
            ("EST5EDT,J0,J365", "start day 0 is outside 1...365"),
            ("EST5EDT,0,366", "end day 366 is outside 0...365"),
            ("EST5EDT,M3.2.0/168,M11.1.0", "start time hours 168 is outside 0...167"),
            ("EST5EDT,M3.2.0", "expected \",\" before the end rule"),
            ("EST5EDT,M3.2.0,M11.1.0x", "unexpected text after the end rule"),
            ("EST5EDT,X,M11.1.0", "expected the start date"),
            ("EST5EDT,M3.2.00000,M11.1.0", "too many digits"),
            ("EST5\u{0}", "daylight saving time name"),
        ]
    )
    func malformed(text: String, expected: String) {
        #expect {
            try POSIXTimeZoneRule(parsing: text)
        } throws: { error in
            let message = (error as? TimeZoneDataError)?.message ?? ""
            return message.hasPrefix("TZ string") && message.contains(expected)
        }
    }

    @Test("an error message shows control characters escaped")
    func escapedMessage() {
        #expect(throws: TimeZoneDataError("TZ string \"EST5\\x00\": expected the daylight saving time name at character 5")) {
            try POSIXTimeZoneRule(parsing: "EST5\u{0}")
        }
    }
}
