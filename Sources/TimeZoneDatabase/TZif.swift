extension ZoneRules {
    /// Parses a TZif file. Versions 2 to 4 are read from their 64-bit data block and footer,
    /// version 1 from its 32-bit block. Any input either parses or throws an error saying what was
    /// wrong; none traps.
    public init(parsing bytes: [UInt8]) throws(TimeZoneDataError) {
        var parser = TZifParser(bytes: bytes)
        self = try parser.parse()
    }
}

/// Reads the parts of a TZif file in order, checking each announced count against the bytes left
/// before reading. Pure: bytes in, ``ZoneRules`` or an error out, so it can be fuzzed and tested
/// without files; ``ZoneinfoDirectory`` does the reading.
///
/// Abbreviations, leap-second records and the standard/wall and UT/local indicators are checked
/// for size and skipped: none of them changes an offset. (In the `right/` zones, which count leap
/// seconds, transitions are therefore late by the leap seconds so far, under half a minute.)
///
/// Layout (RFC 8536 §3): a 44-byte header, a data block with 32-bit times; for version 2 and
/// later a second header, a data block with 64-bit times and a footer `\n TZ-string \n`.
struct TZifParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    /// The six counts of a header, in file order.
    struct Header {
        var version: UInt8
        var utLocalIndicators: Int
        var standardWallIndicators: Int
        var leapSeconds: Int
        var transitions: Int
        var localTimeTypes: Int
        var designationCharacters: Int
    }

    static let headerLength = 44

    mutating func parse() throws(TimeZoneDataError) -> ZoneRules {
        guard !bytes.isEmpty else { throw Self.error("the file is empty") }
        let first = try header(which: "header")
        if first.version == 0 {
            let block = try dataBlock(first, timeSize: 4)
            guard remaining == 0 else { throw Self.error("\(remaining) unexpected bytes after the version 1 data block") }
            return block.rules(footer: nil)
        }
        try skipDataBlock(first)
        let second = try header(which: "version 2+ header")
        guard second.version == first.version else {
            throw Self.error("the second header says version \(Self.versionName(second.version)) but the first says \(Self.versionName(first.version))")
        }
        let block = try dataBlock(second, timeSize: 8)
        let footer = try footerRule()
        guard remaining == 0 else { throw Self.error("\(remaining) unexpected bytes after the footer") }
        return block.rules(footer: footer)
    }

    // MARK: Header

    mutating func header(which: String) throws(TimeZoneDataError) -> Header {
        // The magic first, as far as it is there: a short file of something else is "not TZif".
        let magic = bytes[position..<min(bytes.count, position + 4)]
        guard "TZif".utf8.starts(with: magic) else {
            throw Self.error("the \(which) does not start with the magic \"TZif\" (found \(Self.hex(magic)))")
        }
        guard remaining >= Self.headerLength else {
            throw Self.error("the \(which) needs \(Self.headerLength) bytes but only \(remaining) remain")
        }
        let version = bytes[position + 4]
        guard version == 0 || (UInt8(ascii: "2")...UInt8(ascii: "4")).contains(version) else {
            throw Self.error("unknown version \(Self.versionName(version)) in the \(which) (known: 1, 2, 3, 4)")
        }
        let counts = (0..<6).map { uint32(at: position + 20 + 4 * $0) }
        position += Self.headerLength
        let header = Header(
            version: version, utLocalIndicators: counts[0], standardWallIndicators: counts[1], leapSeconds: counts[2],
            transitions: counts[3], localTimeTypes: counts[4], designationCharacters: counts[5]
        )
        guard header.localTimeTypes > 0 else { throw Self.error("the \(which) announces no local time types; at least one is required") }
        guard header.utLocalIndicators == 0 || header.utLocalIndicators == header.localTimeTypes else {
            throw Self.error("the \(which) announces \(header.utLocalIndicators) UT/local indicators for \(header.localTimeTypes) local time types (must be 0 or equal)")
        }
        guard header.standardWallIndicators == 0 || header.standardWallIndicators == header.localTimeTypes else {
            throw Self.error("the \(which) announces \(header.standardWallIndicators) standard/wall indicators for \(header.localTimeTypes) local time types (must be 0 or equal)")
        }
        return header
    }

    // MARK: Data block

    /// Moves past a data block, checking every section's length; the version 1 block of a
    /// version 2+ file is only skipped (RFC 8536 tells readers of the later block to ignore it).
    mutating func skipDataBlock(_ header: Header) throws(TimeZoneDataError) {
        for section in Self.sections(header, timeSize: 4) {
            _ = try take(section, context: " in the version 1 data block")
        }
    }

    /// The sections of a data block in file order: how many items, bytes per item, and their name.
    static func sections(_ header: Header, timeSize: Int) -> [(count: Int, size: Int, name: String)] {
        [
            (header.transitions, timeSize, "transition times"),
            (header.transitions, 1, "transition types"),
            (header.localTimeTypes, 6, "local time types"),
            (header.designationCharacters, 1, "designation characters"),
            (header.leapSeconds, timeSize + 4, "leap-second records"),
            (header.standardWallIndicators, 1, "standard/wall indicators"),
            (header.utLocalIndicators, 1, "UT/local indicators"),
        ]
    }

    /// What a data block says about offsets.
    struct DataBlock {
        var transitionTimes: [Int64]
        var offsetsFromTransitions: [Int32]
        var offsetBeforeFirstTransition: Int32

        func rules(footer: POSIXTimeZoneRule?) -> ZoneRules {
            ZoneRules(
                transitionTimes: transitionTimes, offsetsFromTransitions: offsetsFromTransitions,
                offsetBeforeFirstTransition: offsetBeforeFirstTransition, footer: footer
            )
        }
    }

    /// Reads a data block's transitions and local time types and checks that they are consistent.
    mutating func dataBlock(_ header: Header, timeSize: Int) throws(TimeZoneDataError) -> DataBlock {
        let sections = Self.sections(header, timeSize: timeSize)
        let timesStart = try take(sections[0], context: "")
        let typesStart = try take(sections[1], context: "")
        let localTimeTypesStart = try take(sections[2], context: "")
        for index in 3..<sections.count {
            _ = try take(sections[index], context: "")
        }

        var offsets: [Int32] = []
        offsets.reserveCapacity(header.localTimeTypes)
        for type in 0..<header.localTimeTypes {
            let start = localTimeTypesStart + 6 * type
            let offset = Int32(bitPattern: UInt32(uint32(at: start)))
            guard offset != Int32.min else {
                throw Self.error("local time type \(type) has the UT offset -2147483648, which RFC 8536 forbids")
            }
            let isDaylightSaving = bytes[start + 4]
            guard isDaylightSaving <= 1 else {
                throw Self.error("local time type \(type) has the daylight-saving flag \(isDaylightSaving) (must be 0 or 1)")
            }
            let designationIndex = Int(bytes[start + 5])
            guard designationIndex < header.designationCharacters else {
                throw Self.error("local time type \(type) names designation character \(designationIndex) but only \(header.designationCharacters) are present")
            }
            offsets.append(offset)
        }

        var times: [Int64] = []
        var offsetsFromTransitions: [Int32] = []
        times.reserveCapacity(header.transitions)
        offsetsFromTransitions.reserveCapacity(header.transitions)
        for index in 0..<header.transitions {
            let time = timeSize == 8 ? int64(at: timesStart + 8 * index) : Int64(Int32(bitPattern: UInt32(uint32(at: timesStart + 4 * index))))
            if let previous = times.last, time <= previous {
                throw Self.error("transition \(index) at \(time) is not after transition \(index - 1) at \(previous)")
            }
            let type = Int(bytes[typesStart + index])
            guard type < header.localTimeTypes else {
                throw Self.error("transition \(index) uses local time type \(type) but only \(header.localTimeTypes) are defined")
            }
            times.append(time)
            offsetsFromTransitions.append(offsets[type])
        }
        // RFC 8536: local time before the first transition is that of local time type 0.
        return DataBlock(transitionTimes: times, offsetsFromTransitions: offsetsFromTransitions, offsetBeforeFirstTransition: offsets[0])
    }

    // MARK: Footer

    /// `\n TZ-string \n`; an empty TZ string means the file gives no rule for later instants.
    mutating func footerRule() throws(TimeZoneDataError) -> POSIXTimeZoneRule? {
        let newline = UInt8(ascii: "\n")
        guard remaining > 0 else { throw Self.error("the footer is missing after the version 2+ data block") }
        guard bytes[position] == newline else {
            throw Self.error("the footer starts with \(Self.hex(bytes[position..<position + 1])) instead of a newline")
        }
        let textStart = position + 1
        guard let textEnd = bytes[textStart...].firstIndex(of: newline) else {
            throw Self.error("the footer has no closing newline")
        }
        position = textEnd + 1
        guard textEnd > textStart else { return nil }
        do {
            return try POSIXTimeZoneRule(parsing: String(decoding: bytes[textStart..<textEnd], as: UTF8.self))
        } catch {
            throw Self.error("bad footer: \(error.message)")
        }
    }

    // MARK: Bytes

    /// Claims `count * size` bytes for a section, or says how many were announced and how many remain.
    mutating func take(_ section: (count: Int, size: Int, name: String), context: String) throws(TimeZoneDataError) -> Int {
        let (length, overflow) = section.count.multipliedReportingOverflow(by: section.size)
        guard !overflow else {
            throw Self.error("\(section.count) \(section.name) announced\(context), more than can be addressed")
        }
        guard length <= remaining else {
            throw Self.error("\(section.count) \(section.name) announced\(context) but only \(remaining) bytes remain")
        }
        let start = position
        position += length
        return start
    }

    /// A big-endian unsigned 32-bit value; the caller has checked the bytes exist.
    func uint32(at index: Int) -> Int {
        bytes[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
    }

    /// A big-endian signed 64-bit value; the caller has checked the bytes exist.
    func int64(at index: Int) -> Int64 {
        Int64(bitPattern: bytes[index..<index + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    static func error(_ what: String) -> TimeZoneDataError {
        TimeZoneDataError("TZif: \(what)")
    }

    static func versionName(_ version: UInt8) -> String {
        if version == 0 { return "1" }
        if (0x21..<0x7F).contains(version) { return String(Unicode.Scalar(version)) }
        return hex([version][...])
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0x0" : "0x") + String($0, radix: 16) }.joined(separator: " ")
    }
}
