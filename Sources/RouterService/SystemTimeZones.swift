import RefdeskCore
import TimeZoneDatabase

/// The time-zone database the core's opening hours need: the system's compiled tz database
/// (`$TZDIR` or `/usr/share/zoneinfo`), read by ``ZoneinfoDirectory`` rather than Foundation's
/// `TimeZone`, so the router does not link Foundation and ICU (about 8.5 MiB resident) for it.
/// All instances share one cache of parsed zones.
struct SystemTimeZones: CivilTimeConverter {
    func offsetFromUTC(in timeZone: String, at instant: Timestamp) -> Duration? {
        ZoneinfoDirectory.system.offsetFromUTC(in: timeZone, atUnixMilliseconds: instant.millisecondsSinceEpoch).map { .seconds($0) }
    }
}
