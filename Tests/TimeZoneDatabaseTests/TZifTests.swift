import Foundation
import Testing
@testable import TimeZoneDatabase

/// The message a refused file was refused with, or a note that it was accepted.
func refusal(_ bytes: [UInt8]) -> String {
    do {
        let rules = try ZoneRules(parsing: bytes)
        return "accepted: \(rules)"
    } catch {
        return error.message
    }
}

let newYorkFile: [UInt8] = Array(FileManager.default.contents(atPath: "/usr/share/zoneinfo/America/New_York") ?? Data())

@Suite("TZif files")
struct TZifTests {
    static let hour: Int32 = 3600

    // MARK: Reading

    @Test("New York's file gives EST and EDT around the 2024 switches, before and after 2037")
    func newYork() throws {
        let rules = try ZoneRules(parsing: newYorkFile)
        #expect(rules.transitionTimes.count > 200)
        #expect(rules.footer == (try POSIXTimeZoneRule(parsing: "EST5EDT,M3.2.0,M11.1.0")))
        #expect(rules.offset(atUnixTime: 1_710_054_000 - 1) == -18_000)
        #expect(rules.offset(atUnixTime: 1_710_054_000) == -14_400)
        // 2050-03-13 07:00 UTC, from the footer.
        #expect(rules.offset(atUnixTime: 2_530_767_600 - 1) == -18_000)
        #expect(rules.offset(atUnixTime: 2_530_767_600) == -14_400)
        // Local mean time before the first transition (1883): -4:56:02.
        #expect(rules.offset(atUnixTime: -3_000_000_000) == -17_762)
    }

    @Test("a version 1 file is read from its 32-bit block")
    func versionOne() throws {
        var file = TZifBuilder()
        file.version = 0
        file.types = [.init(offset: 0), .init(offset: Self.hour, isDaylightSaving: 1)]
        file.transitions = [(1_000, 1), (2_000, 0)]
        let rules = try ZoneRules(parsing: file.bytes)
        #expect(rules.footer == nil)
        #expect([999, 1_000, 1_999, 2_000, .max].map(rules.offset(atUnixTime:)) == [0, 3600, 3600, 0, 0])
    }

    @Test("a version 2+ file is read from its 64-bit block, which reaches before 1901")
    func versionTwoUsesSixtyFourBitTimes() throws {
        var file = TZifBuilder()
        file.types = [.init(offset: -17_762), .init(offset: -5 * Self.hour)]
        file.transitions = [(-3_000_000_000, 1)]
        file.footer = "EST5"
        let rules = try ZoneRules(parsing: file.bytes)
        #expect(rules.transitionTimes == [-3_000_000_000])
        #expect(rules.offset(atUnixTime: -3_000_000_001) == -17_762)
        #expect(rules.offset(atUnixTime: -3_000_000_000) == -18_000)
    }

    @Test("before the first transition local time type 0 applies, after the last the footer")
    func beforeFirstAndAfterLast() throws {
        var file = TZifBuilder()
        file.types = [.init(offset: 1_172), .init(offset: Self.hour)]
        file.transitions = [(0, 1)]
        file.footer = "<+02>-2"
        let rules = try ZoneRules(parsing: file.bytes)
        #expect(rules.offset(atUnixTime: .min) == 1_172)
        #expect(rules.offset(atUnixTime: -1) == 1_172)
        #expect(rules.offset(atUnixTime: 0) == 3_600)
        #expect(rules.offset(atUnixTime: 1) == 7_200)
        #expect(rules.offset(atUnixTime: .max) == 7_200)
    }

    @Test("with an empty footer the last transition's offset lasts for ever")
    func emptyFooter() throws {
        var file = TZifBuilder()
        file.types = [.init(offset: 0), .init(offset: 5 * Self.hour)]
        file.transitions = [(100, 1)]
        file.footer = ""
        let rules = try ZoneRules(parsing: file.bytes)
        #expect(rules.footer == nil)
        #expect(rules.offset(atUnixTime: .max) == 18_000)
    }

    @Test("without transitions the footer decides at every instant")
    func footerOnly() throws {
        var file = TZifBuilder()
        file.types = [.init(offset: -5 * Self.hour)]
        file.footer = "EST5EDT,M3.2.0,M11.1.0"
        let rules = try ZoneRules(parsing: file.bytes)
        #expect(rules.offset(atUnixTime: 1_710_054_000) == -14_400)
        #expect(rules.offset(atUnixTime: -2_208_988_800) == -18_000)
    }

    // MARK: Refusing

    @Test("an empty file is refused")
    func empty() {
        #expect(refusal([]) == "TZif: the file is empty")
    }

    @Test("a file without the TZif magic is refused")
    func wrongMagic() {
        var bytes = TZifBuilder().bytes
        bytes[3] = UInt8(ascii: "g")
        #expect(refusal(bytes) == "TZif: the header does not start with the magic \"TZif\" (found 0x54 0x5a 0x69 0x67)")
        #expect(refusal(Array("#!/bin/sh\necho hello\n".utf8)).contains("does not start with the magic"))
    }

    @Test("an unknown version is refused")
    func unknownVersion() {
        var file = TZifBuilder()
        file.version = UInt8(ascii: "5")
        #expect(refusal(file.bytes) == "TZif: unknown version 5 in the header (known: 1, 2, 3, 4)")
        file.version = 0xFF
        #expect(refusal(file.bytes).contains("unknown version 0xff"))
    }

    @Test("every truncation of a real file is refused, none traps")
    func everyTruncation() throws {
        try #require(newYorkFile.count > 1_000)
        for length in 0..<newYorkFile.count {
            let message = refusal(Array(newYorkFile[..<length]))
            guard message.hasPrefix("TZif: ") else {
                Issue.record("the first \(length) bytes gave \(message)")
                return
            }
        }
        #expect(refusal(Array(newYorkFile[..<43])) == "TZif: the header needs 44 bytes but only 43 remain")
        #expect(refusal(Array(newYorkFile.dropLast())) == "TZif: the footer has no closing newline")
    }

    @Test("a count larger than the data is refused, naming the count and the bytes left")
    func countsExceedData() {
        var file = TZifBuilder()
        file.version = 0
        file.transitions = []
        file.designations = Array("UTC\0".utf8) + [UInt8](repeating: 0, count: 30)
        file.countOverrides = [3: 12]
        // After the header: 6 bytes of local time type, 34 designation characters, 2 indicators = 42.
        #expect(refusal(file.bytes) == "TZif: 12 transition times announced but only 42 bytes remain")

        var huge = TZifBuilder()
        huge.countOverrides = [3: UInt32.max]
        #expect(refusal(huge.bytes).hasPrefix("TZif: 4294967295 transition times announced but only"))

        var leap = TZifBuilder()
        leap.version = 0
        leap.countOverrides = [2: 1]
        #expect(refusal(leap.bytes) == "TZif: 1 leap-second records announced but only 2 bytes remain")

        var inVersionOne = TZifBuilder()
        inVersionOne.version = UInt8(ascii: "3")
        var bytes = inVersionOne.bytes
        bytes[20 + 5 * 4 + 3] = 200  // the first header's count of designation characters
        #expect(refusal(bytes).contains("200 designation characters announced in the version 1 data block but only"))
    }

    @Test("a transition to a local time type that does not exist is refused")
    func typeIndexOutOfRange() {
        var file = TZifBuilder()
        file.transitions = [(0, 0), (100, 3)]
        #expect(refusal(file.bytes) == "TZif: transition 1 uses local time type 3 but only 1 are defined")
    }

    @Test("inconsistent headers and local time types are refused")
    func inconsistentParts() {
        var noTypes = TZifBuilder()
        noTypes.countOverrides = [0: 0, 1: 0, 4: 0]
        #expect(refusal(noTypes.bytes) == "TZif: the version 2+ header announces no local time types; at least one is required")

        var indicators = TZifBuilder()
        indicators.countOverrides = [0: 2]
        #expect(refusal(indicators.bytes).contains("announces 2 UT/local indicators for 1 local time types"))

        var versions = TZifBuilder()
        versions.secondHeaderVersion = UInt8(ascii: "3")
        #expect(refusal(versions.bytes) == "TZif: the second header says version 3 but the first says 2")

        var designation = TZifBuilder()
        designation.types = [.init(offset: 0, designationIndex: 9)]
        #expect(refusal(designation.bytes) == "TZif: local time type 0 names designation character 9 but only 4 are present")

        var minimum = TZifBuilder()
        minimum.types = [.init(offset: .min)]
        #expect(refusal(minimum.bytes).contains("UT offset -2147483648"))

        var daylightFlag = TZifBuilder()
        daylightFlag.types = [.init(offset: 0, isDaylightSaving: 2)]
        #expect(refusal(daylightFlag.bytes).contains("daylight-saving flag 2"))

        var unordered = TZifBuilder()
        unordered.transitions = [(100, 0), (100, 0)]
        #expect(refusal(unordered.bytes) == "TZif: transition 1 at 100 is not after transition 0 at 100")
    }

    @Test("a bad, missing or unterminated footer, or bytes after it, are refused")
    func badFooters() {
        var file = TZifBuilder()
        file.footer = "EST5EDT,M13.2.0,M11.1.0"
        #expect(refusal(file.bytes).hasPrefix("TZif: bad footer: TZ string \"EST5EDT,M13.2.0,M11.1.0\": the start month 13 is outside 1...12"))

        file.footer = nil
        #expect(refusal(file.bytes) == "TZif: the footer is missing after the version 2+ data block")

        file.footer = "EST5"
        file.trailing = Array("junk".utf8)
        #expect(refusal(file.bytes) == "TZif: 4 unexpected bytes after the footer")

        var noNewline = TZifBuilder().bytes
        noNewline[noNewline.count - 2] = UInt8(ascii: "x")
        #expect(refusal(noNewline) == "TZif: the footer starts with 0x78 instead of a newline")
    }
}
