/// A POSIX TZ string as found in the footer of a TZif file (RFC 8536 §3.3), such as
/// `EST5EDT,M3.2.0,M11.1.0`: how a zone keeps time after its last listed transition, for ever.
///
/// Compiled zone files list transitions only up to some year (2037 in "fat" files, the last rule
/// change in "slim" ones); opening hours years ahead need the footer to be right.
///
/// Grammar: `std offset [dst [offset] ,start[/time],end[/time]]`, where
/// - a name is three or more letters, or `<` three or more of `[A-Za-z0-9+-]` `>`;
/// - an offset is `[+-]hh[:mm[:ss]]` with POSIX's sign, positive *west* of Greenwich (`EST5` is
///   five hours behind UTC); the dst offset defaults to one hour ahead of std;
/// - a date is `Mm.w.d` (day `d`, 0 = Sunday, of week `w` of month `m`, week 5 meaning the last),
///   `Jn` (day 1...365, never counting February 29) or `n` (zero-based day 0...365, counting it);
/// - a time is local time of day, default `02:00:00`, which RFC 8536 lets be negative or past 24
///   hours (`-167...167`), e.g. `M3.4.4/26` for "the day after the fourth Thursday, 02:00".
///
/// POSIX leaves a dst name without rules to the implementation; footers never have one (RFC 8536),
/// so it is refused.
///
/// Daylight saving "all year" is written as a start on January 1 at 00:00 and an end on
/// December 31 at 24:00 plus the daylight saving amount (`EST5EDT4,0/0,J365/25`); the end then
/// falls on the next start and the evaluator stays in daylight time.
public struct POSIXTimeZoneRule: Hashable, Sendable {
    /// The standard time's offset from UTC in seconds (positive east of Greenwich, unlike the text).
    let standardOffset: Int64
    /// Daylight saving time and when it applies, if the zone has it.
    let daylightSaving: DaylightSaving?

    struct DaylightSaving: Hashable, Sendable {
        /// Offset from UTC in seconds, positive east of Greenwich.
        var offset: Int64
        var start: Transition
        var end: Transition
    }

    /// A yearly switch: on `date` at `time` seconds after the local midnight, in the local time
    /// that was in effect before the switch.
    struct Transition: Hashable, Sendable {
        var date: RuleDate
        var time: Int64
    }

    enum RuleDate: Hashable, Sendable {
        /// `Jn`: day 1...365 of the year, February 29 never counted.
        case julianSkippingLeapDay(Int64)
        /// `n`: day 0...365 of the year, February 29 counted.
        case zeroBasedDay(Int64)
        /// `Mm.w.d`: weekday `day` (0 = Sunday) of week `week` (5 = the last) of `month`.
        case monthWeekDay(month: Int64, week: Int64, day: Int64)
    }

    /// Reads a TZ string; throws when it does not follow the grammar above. An empty string is not
    /// a rule (a TZif footer that is empty means "no rule", which ``ZoneRules`` handles).
    public init(parsing text: String) throws(TimeZoneDataError) {
        var reader = Reader(text: text)
        try reader.name(role: "standard time")
        standardOffset = -(try reader.offset(role: "standard time"))
        if reader.isAtEnd {
            daylightSaving = nil
            return
        }
        try reader.name(role: "daylight saving time")
        var dstOffset = standardOffset + 3600
        if !reader.isAtEnd, reader.peek != UInt8(ascii: ",") {
            dstOffset = -(try reader.offset(role: "daylight saving time"))
        }
        guard reader.skip(",") else {
            throw reader.error(reader.isAtEnd ? "daylight saving time has no rule saying when it starts and ends" : "expected \",\" before the start rule")
        }
        let start = try reader.transition(role: "start")
        guard reader.skip(",") else { throw reader.error("expected \",\" before the end rule") }
        let end = try reader.transition(role: "end")
        guard reader.isAtEnd else { throw reader.error("unexpected text after the end rule") }
        daylightSaving = DaylightSaving(offset: dstOffset, start: start, end: end)
    }

    /// The offset from UTC in seconds at `unixTime` (seconds since 1970-01-01T00:00:00Z).
    /// Total for every `Int64`.
    public func offset(atUnixTime unixTime: Int64) -> Int64 {
        guard let dst = daylightSaving else { return standardOffset }
        // The calendar repeats every 400 years, so fold the instant into the cycle starting at
        // 1970: the answer is the same and no later arithmetic can overflow.
        let cycle = ProlepticGregorian.daysPerCycle * ProlepticGregorian.secondsPerDay
        let folded = ProlepticGregorian.floorModulo(unixTime, cycle)
        let year = ProlepticGregorian.year(ofDay: ProlepticGregorian.floorDivide(folded, ProlepticGregorian.secondsPerDay))
        // Times may be up to 167 hours from their day, moving a switch into a neighbouring year;
        // the latest switch at or before the instant, among those of the surrounding years, decides.
        // An end falling exactly on the next start (daylight time all year) keeps daylight time.
        var latest: (at: Int64, toDaylight: Bool)?
        func consider(_ at: Int64, toDaylight: Bool) {
            guard at <= folded else { return }
            if let current = latest, current.at > at || (current.at == at && current.toDaylight) { return }
            latest = (at, toDaylight)
        }
        for candidate in (year - 2)...(year + 1) {
            consider(dst.start.instant(in: candidate, localOffset: standardOffset), toDaylight: true)
            consider(dst.end.instant(in: candidate, localOffset: dst.offset), toDaylight: false)
        }
        let inDaylight = latest?.toDaylight ?? false
        return inDaylight ? dst.offset : standardOffset
    }
}

extension POSIXTimeZoneRule.Transition {
    /// When this switch happens in `year`, in seconds since 1970 UTC, given the offset of the local
    /// time its time of day is written in.
    func instant(in year: Int64, localOffset: Int64) -> Int64 {
        date.day(in: year) * ProlepticGregorian.secondsPerDay + time - localOffset
    }
}

extension POSIXTimeZoneRule.RuleDate {
    /// The day number (days since 1970-01-01) this date falls on in `year`.
    func day(in year: Int64) -> Int64 {
        let january1 = ProlepticGregorian.firstDay(ofYear: year)
        switch self {
        case .julianSkippingLeapDay(let n):
            let leapDay: Int64 = ProlepticGregorian.isLeapYear(year) && n >= 60 ? 1 : 0
            return january1 + n - 1 + leapDay
        case .zeroBasedDay(let n):
            return january1 + n
        case .monthWeekDay(let month, let week, let day):
            let first = ProlepticGregorian.dayNumber(year: year, month: month, day: 1)
            let firstMatching = first + ProlepticGregorian.floorModulo(day - ProlepticGregorian.weekday(ofDay: first), 7)
            var result = firstMatching + (week - 1) * 7
            let monthEnd = first + ProlepticGregorian.daysInMonth(month, of: year)
            while result >= monthEnd { result -= 7 }
            return result
        }
    }
}

extension POSIXTimeZoneRule {
    /// A cursor over the ASCII bytes of a TZ string, with one method per grammar element.
    struct Reader {
        let bytes: [UInt8]
        var position = 0

        init(text: String) {
            bytes = Array(text.utf8)
        }

        var isAtEnd: Bool { position >= bytes.count }
        var peek: UInt8? { isAtEnd ? nil : bytes[position] }

        func error(_ what: String) -> TimeZoneDataError {
            TimeZoneDataError("TZ string \"\(printable)\": \(what) at character \(position + 1)")
        }

        /// The text with control characters and non-ASCII bytes escaped, so an error message stays one
        /// readable line whatever the input.
        var printable: String {
            let limit = 64
            var result = ""
            for byte in bytes.prefix(limit) {
                if (0x20..<0x7F).contains(byte), byte != UInt8(ascii: "\\"), byte != UInt8(ascii: "\"") {
                    result.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    result += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
                }
            }
            return bytes.count > limit ? result + "…" : result
        }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard peek == UInt8(character.value) else { return false }
            position += 1
            return true
        }

        /// A zone abbreviation, unquoted (letters) or quoted (`<...>`), at least three characters;
        /// only checked, as offsets are all the router needs.
        mutating func name(role: String) throws(TimeZoneDataError) {
            let start = position
            let quoted = skip("<")
            while let byte = peek, (quoted ? Self.isQuotedNameByte(byte) : Self.isLetter(byte)) {
                position += 1
            }
            let nameBytes = bytes[(quoted ? start + 1 : start)..<position]
            if quoted, !skip(">") {
                throw error(isAtEnd ? "the \(role) name has no closing \">\"" : "unexpected character in the quoted \(role) name")
            }
            guard nameBytes.count >= 3 else {
                throw error(nameBytes.isEmpty ? "expected the \(role) name" : "the \(role) name must be at least three characters")
            }
        }

        /// `[+-]hh[:mm[:ss]]` with hours 0...24, in seconds, as written (positive west of Greenwich).
        mutating func offset(role: String) throws(TimeZoneDataError) -> Int64 {
            try signedTime(maximumHours: 24, what: "\(role) offset")
        }

        /// A rule's `date[/time]`.
        mutating func transition(role: String) throws(TimeZoneDataError) -> Transition {
            let date = try ruleDate(role: role)
            var time: Int64 = 2 * 3600
            if skip("/") {
                time = try signedTime(maximumHours: 167, what: "\(role) time")
            }
            return Transition(date: date, time: time)
        }

        mutating func ruleDate(role: String) throws(TimeZoneDataError) -> RuleDate {
            if skip("J") {
                let day = try number(what: "\(role) day", in: 1...365)
                return .julianSkippingLeapDay(day)
            }
            if skip("M") {
                let month = try number(what: "\(role) month", in: 1...12)
                guard skip(".") else { throw error("expected \".\" after the \(role) month") }
                let week = try number(what: "\(role) week", in: 1...5)
                guard skip(".") else { throw error("expected \".\" after the \(role) week") }
                let day = try number(what: "\(role) weekday", in: 0...6)
                return .monthWeekDay(month: month, week: week, day: day)
            }
            guard let byte = peek, Self.isDigit(byte) else {
                throw error("expected the \(role) date (Mm.w.d, Jn or n)")
            }
            return .zeroBasedDay(try number(what: "\(role) day", in: 0...365))
        }

        /// `[+-]hh[:mm[:ss]]` in seconds.
        mutating func signedTime(maximumHours: Int64, what: String) throws(TimeZoneDataError) -> Int64 {
            var sign: Int64 = 1
            if skip("-") {
                sign = -1
            } else {
                _ = skip("+")
            }
            var seconds = try number(what: "\(what) hours", in: 0...maximumHours) * 3600
            if skip(":") {
                seconds += try number(what: "\(what) minutes", in: 0...59) * 60
                if skip(":") {
                    seconds += try number(what: "\(what) seconds", in: 0...59)
                }
            }
            return sign * seconds
        }

        /// Decimal digits forming a number in `range`; at most a few digits are accepted, so the
        /// value cannot overflow.
        mutating func number(what: String, in range: ClosedRange<Int64>) throws(TimeZoneDataError) -> Int64 {
            let start = position
            var value: Int64 = 0
            while let byte = peek, Self.isDigit(byte) {
                guard position - start < 4 else { throw error("the \(what) has too many digits") }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                position += 1
            }
            guard position > start else { throw error("expected the \(what)") }
            guard range.contains(value) else {
                position = start
                throw error("the \(what) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }

        static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        static func isLetter(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }

        static func isQuotedNameByte(_ byte: UInt8) -> Bool {
            isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        }
    }
}
