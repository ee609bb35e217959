/// One zone's history of UTC offsets, as a compiled tz database file (TZif, RFC 8536) gives it;
/// ``init(parsing:)`` reads one.
///
/// This is all the router needs of a time-zone database: the offset from UTC at an instant. It
/// exists so the router does not link Foundation, whose `TimeZone` brings ICU and about 8.5 MiB of
/// resident memory into every process. The router uses it through ``ZoneinfoDirectory``; the
/// parsers are public for the fuzz target, which is built without testability.
public struct ZoneRules: Hashable, Sendable, CustomStringConvertible {
    /// Instants at which the offset changes, in seconds since 1970 UTC, strictly ascending.
    let transitionTimes: [Int64]
    /// The offset from UTC in seconds from each transition on, one per transition.
    let offsetsFromTransitions: [Int32]
    /// The offset before the first transition (and always, when there are none and no footer).
    let offsetBeforeFirstTransition: Int32
    /// How offsets continue after the last transition (version 2+ files only).
    let footer: POSIXTimeZoneRule?

    init(transitionTimes: [Int64], offsetsFromTransitions: [Int32], offsetBeforeFirstTransition: Int32, footer: POSIXTimeZoneRule?) {
        self.transitionTimes = transitionTimes
        self.offsetsFromTransitions = offsetsFromTransitions
        self.offsetBeforeFirstTransition = offsetBeforeFirstTransition
        self.footer = footer
    }

    /// UTC for all time, for a system whose zoneinfo lacks the `UTC` file.
    static let utc = ZoneRules(transitionTimes: [], offsetsFromTransitions: [], offsetBeforeFirstTransition: 0, footer: nil)

    /// The offset from UTC in seconds at `unixTime` (seconds since 1970-01-01T00:00:00Z, leap
    /// seconds not counted). Total for every `Int64`.
    public func offset(atUnixTime unixTime: Int64) -> Int64 {
        guard let first = transitionTimes.first else {
            return footer?.offset(atUnixTime: unixTime) ?? Int64(offsetBeforeFirstTransition)
        }
        guard unixTime >= first else { return Int64(offsetBeforeFirstTransition) }
        if let footer, let last = transitionTimes.last, unixTime > last {
            return footer.offset(atUnixTime: unixTime)
        }
        // The last transition at or before `unixTime`: transitionTimes[low] <= unixTime < transitionTimes[high].
        var low = 0
        var high = transitionTimes.count
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if transitionTimes[middle] <= unixTime { low = middle } else { high = middle }
        }
        return Int64(offsetsFromTransitions[low])
    }

    /// `236 transitions, footer with daylight saving`: counts only, for logs and fuzzing.
    public var description: String {
        let footerText = footer.map { $0.daylightSaving == nil ? "fixed-offset footer" : "footer with daylight saving" } ?? "no footer"
        return "\(transitionTimes.count) transitions, \(footerText)"
    }
}
