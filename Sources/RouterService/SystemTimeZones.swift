import Foundation
import RefdeskCore

/// The time-zone database the core's opening hours need, from the system's tzdata (Foundation's `TimeZone`).
struct SystemTimeZones: CivilTimeConverter {
    func offsetFromUTC(in timeZone: String, at instant: Timestamp) -> Duration? {
        guard let zone = TimeZone(identifier: timeZone) else { return nil }
        let date = Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1000)
        return .seconds(zone.secondsFromGMT(for: date))
    }
}
