import Foundation
import Glibc
import Synchronization
import Testing
@testable import TimeZoneDatabase

/// Every zone of the system's tz database read by ``ZoneinfoDirectory`` gives the offsets
/// Foundation's `TimeZone` (ICU) gives, from 1900 to 2100: regularly spaced instants, one second
/// either side of each of the zone's transitions, and either side of each daylight-saving switch
/// after 2037, where the answer comes from the file's footer rule.
///
/// Serialized: the comparisons are seconds of synchronous work, and run side by side they would
/// take every thread of the shared pool from the other suites' time-bounded tests.
@Suite("The system's zones agree with Foundation", .serialized)
struct SystemZoneComparisonTests {
    static let zoneinfo = "/usr/share/zoneinfo"
    static let directory = ZoneinfoDirectory(path: zoneinfo)

    static let from1900: Int64 = -2_208_988_800
    static let to2100: Int64 = 4_102_444_800
    static let from2038: Int64 = 2_145_916_800

    /// Every zone and link named in `tzdata.zi` and `zone1970.tab`, and `UTC`.
    static let zoneNames: [String] = {
        var names: Set<String> = ["UTC"]
        if let compiled = try? String(contentsOfFile: zoneinfo + "/tzdata.zi", encoding: .utf8) {
            for line in compiled.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.first == "Z", fields.count > 1 { names.insert(String(fields[1])) }
                if fields.first == "L", fields.count > 2 { names.insert(String(fields[2])) }
            }
        }
        if let table = try? String(contentsOfFile: zoneinfo + "/zone1970.tab", encoding: .utf8) {
            for line in table.split(separator: "\n") where !line.hasPrefix("#") {
                let fields = line.split(separator: "\t")
                if fields.count > 2 { names.insert(String(fields[2])) }
            }
        }
        return names.sorted()
    }()

    /// Whether Foundation's built-in data come from the system's tzdata release (`# version 2025b`
    /// at the top of `tzdata.zi`).
    static let sameDataRelease: Bool = {
        let compiled = (try? String(contentsOfFile: zoneinfo + "/tzdata.zi", encoding: .utf8)) ?? ""
        let firstLine = compiled.split(separator: "\n").first ?? ""
        return firstLine == "# version \(TimeZone.timeZoneDataVersion)"
    }()

    @Test("the system's tz database lists hundreds of zones")
    func zonesAreListed() {
        #expect(Self.zoneNames.count > 500)
    }

    @Test("every TZif file in the system's zoneinfo parses, right/ and posix/ included")
    func everyFileParses() throws {
        let files = FileManager.default.enumerator(atPath: Self.zoneinfo)?.compactMap { $0 as? String } ?? []
        var parsed = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: Self.zoneinfo + "/" + file), data.starts(with: Array("TZif".utf8)) else { continue }
            do {
                _ = try ZoneRules(parsing: Array(data))
                parsed += 1
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
        #expect(parsed > 500)
    }

    @Test("a zone's offsets match Foundation's from 1900 to 2100", arguments: zoneNames)
    func offsetsMatchFoundation(zone: String) throws {
        let rules = try #require(Self.directory.rules(for: zone), "\(zone) was not read")
        let foundation = try #require(TimeZone(identifier: zone), "Foundation does not know \(zone)")

        var instants = Array(stride(from: Self.from1900, through: Self.to2100, by: 41 * 86_400 + 3_607))
        for transition in rules.transitionTimes where (Self.from1900...Self.to2100).contains(transition) {
            instants += [transition - 1, transition, transition + 1]
        }
        // After 2037 the footer rule decides: check around each switch Foundation reports.
        var date = Date(timeIntervalSince1970: TimeInterval(Self.from2038))
        for _ in 0..<12 {
            guard let next = foundation.nextDaylightSavingTimeTransition(after: date), next.timeIntervalSince1970 < TimeInterval(Self.to2100) else { break }
            let switchTime = Int64(next.timeIntervalSince1970)
            instants += [switchTime - 1, switchTime, switchTime + 1]
            date = next
        }
        for year: Int64 in [2060, 2099] {
            let june = ProlepticGregorian.dayNumber(year: year, month: 6, day: 1) * 86_400
            instants += stride(from: june - 200 * 86_400, through: june + 200 * 86_400, by: 9 * 86_400 + 61)
        }

        // Where Foundation's built-in data and the system's differ (Debian builds tzdata with
        // `backzone`, ICU does not: different local mean times and pre-1970 history for about a
        // hundred names), the C library, reading the same files, must give our answer instead.
        // Where the footer rule decides, after 2037, no difference is allowed while both carry the
        // same tzdata release (a newer release on either side may change future rules).
        var disagreements: [Int64] = []
        for instant in instants {
            let expected = foundation.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
            if Self.directory.offsetFromUTC(in: zone, atUnixTime: instant) != expected {
                disagreements.append(instant)
            }
        }
        let cLibrary = CLibraryTimeZones.offsets(in: Self.zoneinfo + "/" + zone, at: disagreements)
        var failures: [String] = []
        for (instant, cOffset) in zip(disagreements, cLibrary) {
            let ours = Self.directory.offsetFromUTC(in: zone, atUnixTime: instant) ?? -1
            let foundationOffset = foundation.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
            if (instant >= Self.from2038 && Self.sameDataRelease) || cOffset != ours {
                failures.append("at \(instant) Foundation says \(foundationOffset), the C library \(cOffset), we \(ours)")
            }
        }
        let agrees = failures.isEmpty
        #expect(agrees, "\(zone): \(failures.count) of \(instants.count) instants differ, first \(failures.prefix(3).joined(separator: "; "))")
    }
}

/// glibc's reading of a zone file, the second opinion where Foundation's built-in data differ from
/// the system's. `localtime_r` only takes its zone from `TZ`, which is process-wide: one zone at a
/// time, and `TZ` is put back afterwards.
enum CLibraryTimeZones {
    static let lock = Mutex(())

    /// The offsets from UTC glibc gives at `instants` for the zone file at `path`.
    static func offsets(in path: String, at instants: [Int64]) -> [Int] {
        guard !instants.isEmpty else { return [] }
        return lock.withLock { _ in
            let saved = getenv("TZ").map { String(cString: $0) }
            setenv("TZ", ":" + path, 1)
            tzset()
            defer {
                if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
                tzset()
            }
            return instants.map { instant in
                var time = time_t(instant)
                var local = tm()
                guard localtime_r(&time, &local) != nil else { return Int.min }
                return local.tm_gmtoff
            }
        }
    }
}
