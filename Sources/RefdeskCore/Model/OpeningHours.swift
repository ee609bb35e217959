/// A day of the week. Raw values count from Sunday, as the Unix epoch's calendar does
/// (1970-01-01 was a Thursday, raw value 4), which keeps the weekday arithmetic plain.
public enum Weekday: Int, Hashable, Comparable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case sunday = 0
    case monday
    case tuesday
    case wednesday
    case thursday
    case friday
    case saturday

    /// The English name, as operators and patrons read it: `Monday`.
    public var name: String {
        switch self {
        case .sunday: "Sunday"
        case .monday: "Monday"
        case .tuesday: "Tuesday"
        case .wednesday: "Wednesday"
        case .thursday: "Thursday"
        case .friday: "Friday"
        case .saturday: "Saturday"
        }
    }

    public var description: String { name }

    /// Reads a day name as admins write it: the full English name or its first three
    /// letters, in any case (`Monday`, `mon`, `MON`).
    public init?(name: String) {
        let lowered = name.lowercased()
        guard lowered.count >= 3, let day = Weekday.allCases.first(where: { $0.name.lowercased().hasPrefix(lowered) }) else {
            return nil
        }
        self = day
    }

    /// The day `days` after this one (negative goes back), wrapping round the week.
    public func advanced(by days: Int) -> Weekday {
        Weekday(rawValue: ((rawValue + days) % 7 + 7) % 7) ?? self
    }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A wall-clock time of day in minutes after midnight, from `00:00` to `24:00` inclusive
/// (`24:00` closes an interval at the end of the day).
///
/// Encoded as its `HH:MM` text, so stored opening hours read the way they were typed.
public struct TimeOfDay: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Minutes after local midnight; valid values are `0...1440`.
    public var minuteOfDay: Int

    public init(minuteOfDay: Int) { self.minuteOfDay = minuteOfDay }

    public init(hour: Int, minute: Int = 0) { self.minuteOfDay = hour * 60 + minute }

    /// Reads `H:MM` or `HH:MM` (`24:00` allowed); anything else is refused with the text
    /// that was wrong.
    public init(parsing text: String) throws(ConfigurationError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]),
            hour < 24 && minute < 60 || hour == 24 && minute == 0
        else {
            throw ConfigurationError("\"\(text)\" is not a time of day; write it as HH:MM, from 00:00 to 24:00")
        }
        self.init(hour: hour, minute: minute)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var isValid: Bool { (0...24 * 60).contains(minuteOfDay) }

    /// `09:00`, `17:30`, `24:00`.
    public var description: String {
        let hours = minuteOfDay / 60
        let minutes = minuteOfDay % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minuteOfDay < rhs.minuteOfDay }
}

/// One opening on one weekday, from `opens` (included) to `closes` (excluded), in the
/// schedule's local time. An interval never crosses midnight: write `Fri 22:00-24:00,
/// Sat 00:00-02:00` for a late night.
public struct OpeningInterval: Hashable, Sendable, Codable {
    public var weekday: Weekday
    public var opens: TimeOfDay
    public var closes: TimeOfDay

    public init(_ weekday: Weekday, opens: TimeOfDay, closes: TimeOfDay) {
        self.weekday = weekday
        self.opens = opens
        self.closes = closes
    }

    func contains(_ local: LocalTime) -> Bool {
        local.weekday == weekday && opens <= local.time && local.time < closes
    }
}

/// A queue's weekly schedule in a named time zone. Outside it the queue is offline even
/// when operators are available, and the offline reply can name the next opening.
///
/// The time zone is an IANA name (`America/New_York`); converting to local time is left
/// to a ``CivilTimeConverter`` so the core needs no time-zone database.
public struct OpeningHours: Hashable, Sendable, Codable, CustomStringConvertible {
    /// IANA time-zone name the intervals are written in, e.g. `Europe/Berlin`.
    public var timeZone: String
    public var intervals: [OpeningInterval]

    public init(timeZone: String, intervals: [OpeningInterval]) {
        self.timeZone = timeZone
        self.intervals = intervals
    }

    /// Reads the compact form admins type: entries separated by `,` or `;`, each a day or a
    /// day range and a time range, e.g. `Mon-Fri 09:00-17:00, Sat 10:00-14:00`. Ranges may
    /// use `-` or `–`; a day range may wrap round the week (`Sat-Sun`, `Fri-Mon`).
    public init(parsing text: String, timeZone: String) throws(ConfigurationError) {
        var intervals: [OpeningInterval] = []
        for rawEntry in text.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let entry = rawEntry.split(whereSeparator: \.isWhitespace)
            guard entry.count == 2 else {
                throw ConfigurationError("Opening hours entry \"\(Self.trimmed(rawEntry))\" should be days and times, like \"Mon-Fri 09:00-17:00\"")
            }
            let days = try Self.parseDays(String(entry[0]))
            let times = entry[1].split(whereSeparator: Self.isRangeDash)
            guard times.count == 2 else {
                throw ConfigurationError("Opening hours \"\(entry[1])\" should be a time range, like 09:00-17:00")
            }
            let opens = try TimeOfDay(parsing: String(times[0]))
            let closes = try TimeOfDay(parsing: String(times[1]))
            intervals += days.map { OpeningInterval($0, opens: opens, closes: closes) }
        }
        self.init(timeZone: timeZone, intervals: intervals)
        try validate()
    }

    /// The compact form ``init(parsing:timeZone:)`` reads, one entry per interval
    /// (`Mon 09:00-17:00, Tue 09:00-17:00`), without the time zone.
    public var description: String {
        intervals.map { "\($0.weekday.name.prefix(3)) \($0.opens)-\($0.closes)" }.joined(separator: ", ")
    }

    /// Refuses intervals that close before they open or lie outside the day, and an empty
    /// time-zone name. Whether the zone exists is for the ``CivilTimeConverter`` to say.
    public func validate() throws(ConfigurationError) {
        if timeZone.isEmpty { throw ConfigurationError("Opening hours need a time zone") }
        for interval in intervals {
            guard interval.opens.isValid, interval.closes.isValid else {
                throw ConfigurationError("Opening hours on \(interval.weekday) must lie between 00:00 and 24:00")
            }
            guard interval.opens < interval.closes else {
                throw ConfigurationError(
                    "Opening hours \(interval.weekday) \(interval.opens)-\(interval.closes) close before they open; split a late night at midnight"
                )
            }
        }
    }

    /// Whether `instant` falls inside one of the intervals. An unknown time zone is read as
    /// UTC (``Switchboard/check(_:)`` refuses unknown zones before they get here).
    public func isOpen(at instant: Timestamp, timeZones: any CivilTimeConverter) -> Bool {
        let local = LocalTime(instant, offset: timeZones.offsetFromUTC(in: timeZone, at: instant) ?? .zero)
        return intervals.contains { $0.contains(local) }
    }

    /// The first interval start strictly after `instant` (within the coming week), or `nil`
    /// when the schedule has no intervals.
    public func nextOpening(after instant: Timestamp, timeZones: any CivilTimeConverter) -> NextOpening? {
        let offset = timeZones.offsetFromUTC(in: timeZone, at: instant) ?? .zero
        let now = LocalTime(instant, offset: offset)
        for daysAhead in 0...7 {
            let weekday = now.weekday.advanced(by: daysAhead)
            let opens = intervals.filter { $0.weekday == weekday }.map(\.opens).sorted()
            for time in opens where daysAhead > 0 || time > now.time {
                let localMilliseconds = (now.day + Int64(daysAhead)) * LocalTime.millisecondsPerDay + Int64(time.minuteOfDay) * 60_000
                // The offset may differ at the opening (a daylight-saving change in between).
                let guess = Timestamp(millisecondsSinceEpoch: localMilliseconds - offset.wholeMilliseconds)
                let offsetThen = timeZones.offsetFromUTC(in: timeZone, at: guess) ?? offset
                let at = Timestamp(millisecondsSinceEpoch: localMilliseconds - offsetThen.wholeMilliseconds)
                return NextOpening(weekday: weekday, time: time, at: at)
            }
        }
        return nil
    }

    private static func isRangeDash(_ character: Character) -> Bool {
        character == "-" || character == "–" || character == "—"
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    private static func parseDays(_ text: String) throws(ConfigurationError) -> [Weekday] {
        let names = text.split(whereSeparator: isRangeDash)
        let days = names.compactMap { Weekday(name: String($0)) }
        guard (1...2).contains(names.count), days.count == names.count else {
            throw ConfigurationError("\"\(text)\" is not a day or a day range; write e.g. Mon, Saturday or Mon-Fri")
        }
        guard days.count == 2 else { return days }
        let length = ((days[1].rawValue - days[0].rawValue) % 7 + 7) % 7
        return (0...length).map { days[0].advanced(by: $0) }
    }
}

/// When a closed queue opens next, in its own local time and as an instant.
public struct NextOpening: Hashable, Sendable, CustomStringConvertible {
    public var weekday: Weekday
    public var time: TimeOfDay
    public var at: Timestamp

    public init(weekday: Weekday, time: TimeOfDay, at: Timestamp) {
        self.weekday = weekday
        self.time = time
        self.at = at
    }

    /// `Monday 09:00`: what replaces `{next_open}` in an offline reply.
    public var description: String { "\(weekday.name) \(time)" }
}

/// A local weekday and time of day.
public struct LocalTime: Hashable, Sendable, CustomStringConvertible {
    static let millisecondsPerDay: Int64 = 86_400_000

    /// Local days since 1970-01-01, for arithmetic across days.
    let day: Int64
    public var weekday: Weekday
    public var time: TimeOfDay

    /// The local time at `instant` for a zone `offset` ahead of UTC.
    public init(_ instant: Timestamp, offset: Duration) {
        let local = instant.millisecondsSinceEpoch &+ offset.wholeMilliseconds
        var day = local / Self.millisecondsPerDay
        if local % Self.millisecondsPerDay < 0 { day -= 1 }
        self.day = day
        let millisecondOfDay = local - day * Self.millisecondsPerDay
        weekday = Weekday(rawValue: Int(((day + 4) % 7 + 7) % 7)) ?? .thursday
        time = TimeOfDay(minuteOfDay: Int(millisecondOfDay / 60_000))
    }

    /// `Monday 09:00`.
    public var description: String { "\(weekday.name) \(time)" }
}

/// Converts instants to local time in named time zones; the one piece of time-zone
/// knowledge the core needs, injected so the core stays free of a tz database.
///
/// The router provides one backed by the system's time-zone data; tests use
/// ``FixedOffsetTimeZones``.
public protocol CivilTimeConverter: Sendable {
    /// How far local time in `timeZone` is ahead of UTC at `instant` (negative west of
    /// Greenwich), or `nil` when the zone is unknown.
    func offsetFromUTC(in timeZone: String, at instant: Timestamp) -> Duration?
}

extension CivilTimeConverter {
    /// The local weekday and time of day at `instant`, or `nil` for an unknown zone.
    public func localTime(at instant: Timestamp, in timeZone: String) -> LocalTime? {
        offsetFromUTC(in: timeZone, at: instant).map { LocalTime(instant, offset: $0) }
    }

    /// Whether the zone name is known.
    public func knows(_ timeZone: String) -> Bool {
        offsetFromUTC(in: timeZone, at: Timestamp(millisecondsSinceEpoch: 0)) != nil
    }
}

/// Time zones with offsets that never change (no daylight saving), by name.
///
/// Enough for tests and for libraries in zones without daylight saving; the router uses a
/// converter backed by the system's time-zone data.
public struct FixedOffsetTimeZones: CivilTimeConverter, Hashable {
    public var offsets: [String: Duration]

    public init(_ offsets: [String: Duration]) { self.offsets = offsets }

    /// Knows only `UTC`, the default ``Configuration/timeZone``.
    public static let utc = FixedOffsetTimeZones(["UTC": .zero])

    public func offsetFromUTC(in timeZone: String, at instant: Timestamp) -> Duration? {
        offsets[timeZone]
    }
}
