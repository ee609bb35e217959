import Foundation
import Testing
@testable import TimeZoneDatabase

/// A fresh directory under the system's temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "refdesk-zoneinfo-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("The zoneinfo directory")
struct ZoneinfoDirectoryTests {
    static let system = ZoneinfoDirectory(path: "/usr/share/zoneinfo")

    @Test(
        "a name that could leave the directory or is not a zone name is refused before any file is read",
        arguments: [
            "../../etc/passwd", "/etc/localtime", "America/../../etc", "America\\New_York", "UTC\0", "", String(repeating: "A", count: 300),
            "America/New_York/", "America//New_York", "./UTC", "..", "America/New York", "Europe/Zürich", "UTC\n",
        ]
    )
    func refusedNames(name: String) {
        #expect(!ZoneinfoDirectory.isAcceptableName(name))
        #expect(Self.system.offsetFromUTC(in: name, atUnixMilliseconds: 0) == nil)
    }

    @Test("a name of 255 bytes is allowed, one of 256 is not")
    func nameLength() {
        #expect(ZoneinfoDirectory.isAcceptableName(String(repeating: "A", count: 255)))
        #expect(!ZoneinfoDirectory.isAcceptableName(String(repeating: "A", count: 256)))
    }

    @Test(
        "real zone names are known, with their offsets",
        arguments: [
            // 2024-07-01T00:00:00Z: New York on daylight time; Etc/GMT+5 is UTC-5 (POSIX sign).
            ("America/New_York", -4 * 3600), ("Etc/GMT+5", -5 * 3600), ("UTC", 0), ("Asia/Kolkata", 19_800),
            ("America/Argentina/Buenos_Aires", -3 * 3600), ("Etc/GMT-14", 14 * 3600),
        ]
    )
    func knownNames(name: String, offset: Int) {
        #expect(ZoneinfoDirectory.isAcceptableName(name))
        #expect(Self.system.offsetFromUTC(in: name, atUnixMilliseconds: 1_719_792_000_000) == offset)
    }

    @Test("a directory, a missing file and a file that is not TZif are unknown zones")
    func notZones() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/America", withIntermediateDirectories: true)
        try Data("not a zone\n".utf8).write(to: URL(fileURLWithPath: directory + "/Bogus"))
        let zones = ZoneinfoDirectory(path: directory)
        #expect(zones.offsetFromUTC(in: "America", atUnixMilliseconds: 0) == nil)
        #expect(zones.offsetFromUTC(in: "Bogus", atUnixMilliseconds: 0) == nil)
        #expect(zones.offsetFromUTC(in: "Nowhere/Zone", atUnixMilliseconds: 0) == nil)
    }

    @Test("UTC works even where the directory has no UTC file")
    func utcWithoutFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let zones = ZoneinfoDirectory(path: directory)
        #expect(zones.offsetFromUTC(in: "UTC", atUnixMilliseconds: 1_719_792_000_000) == 0)
        #expect(zones.offsetFromUTC(in: "Etc/UTC", atUnixMilliseconds: 0) == nil)
        #expect(ZoneinfoDirectory(path: "/nonexistent/zoneinfo").offsetFromUTC(in: "UTC", atUnixMilliseconds: 0) == 0)
    }

    @Test("zones and unknown names are cached: a second look-up reads no file")
    func cache() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(newYorkFile).write(to: URL(fileURLWithPath: directory + "/Here"))
        let zones = ZoneinfoDirectory(path: directory)
        #expect(zones.offsetFromUTC(in: "Here", atUnixMilliseconds: 0) == -5 * 3600)
        #expect(zones.offsetFromUTC(in: "Later", atUnixMilliseconds: 0) == nil)

        try FileManager.default.removeItem(atPath: directory + "/Here")
        try Data(newYorkFile).write(to: URL(fileURLWithPath: directory + "/Later"))
        #expect(zones.offsetFromUTC(in: "Here", atUnixMilliseconds: 0) == -5 * 3600)
        #expect(zones.offsetFromUTC(in: "Later", atUnixMilliseconds: 0) == nil)
        #expect(ZoneinfoDirectory(path: directory).offsetFromUTC(in: "Later", atUnixMilliseconds: 0) == -5 * 3600)
    }

    @Test("milliseconds are rounded down to the second, so 1 ms before a transition is before it")
    func millisecondsRoundDown() throws {
        var file = TZifBuilder()
        file.types = [.init(offset: 0), .init(offset: 3600)]
        file.transitions = [(-10, 1), (10, 0)]
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(file.bytes).write(to: URL(fileURLWithPath: directory + "/Test"))
        let zones = ZoneinfoDirectory(path: directory)
        #expect(zones.offsetFromUTC(in: "Test", atUnixMilliseconds: -10_001) == 0)
        #expect(zones.offsetFromUTC(in: "Test", atUnixMilliseconds: -10_000) == 3600)
        #expect(zones.offsetFromUTC(in: "Test", atUnixMilliseconds: 9_999) == 3600)
        #expect(zones.offsetFromUTC(in: "Test", atUnixMilliseconds: 10_000) == 0)
        #expect(zones.offsetFromUTC(in: "Test", atUnixMilliseconds: .min) == 0)
        #expect(zones.offsetFromUTC(in: "Test", atUnixMilliseconds: .max) == 0)
    }

    @Test("TZDIR chooses the directory when set and not empty")
    func tzdir() {
        #expect(ZoneinfoDirectory.defaultPath(tzdir: nil) == "/usr/share/zoneinfo")
        #expect(ZoneinfoDirectory.defaultPath(tzdir: "") == "/usr/share/zoneinfo")
        #expect(ZoneinfoDirectory.defaultPath(tzdir: "/opt/tz") == "/opt/tz")
    }

    @Test("concurrent look-ups share the cache and agree")
    func concurrentLookUps() async {
        let zones = ZoneinfoDirectory(path: "/usr/share/zoneinfo")
        let offsets = await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<32 {
                group.addTask { zones.offsetFromUTC(in: "Europe/Berlin", atUnixMilliseconds: 1_719_792_000_000) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(offsets == Array(repeating: 7200, count: 32))
    }
}
