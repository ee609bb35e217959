/// Assembles TZif files byte by byte (RFC 8536 §3), so tests can state exactly what a file holds
/// and break one part at a time.
struct TZifBuilder {
    struct LocalTimeType {
        var offset: Int32
        var isDaylightSaving: UInt8 = 0
        var designationIndex: UInt8 = 0
    }

    /// `0` for version 1, else the ASCII digit.
    var version: UInt8 = UInt8(ascii: "2")
    var transitions: [(time: Int64, type: UInt8)] = []
    var types: [LocalTimeType] = [LocalTimeType(offset: 0)]
    var designations: [UInt8] = Array("UTC\0".utf8)
    var footer: String? = ""
    /// Overrides the counts in the header of the block the reader uses (version 1 block for
    /// version 1 files, else the second block), in file order: isut, isstd, leap, time, type, char.
    var countOverrides: [Int: UInt32] = [:]
    var secondHeaderVersion: UInt8?
    var trailing: [UInt8] = []

    var bytes: [UInt8] {
        var file: [UInt8] = []
        if version == 0 {
            file += header(version: 0, timeSize: 4, overrides: countOverrides)
            file += block(timeSize: 4)
        } else {
            // A version 1 block with the same data, as zic writes for "fat" files.
            file += header(version: version, timeSize: 4, overrides: [:])
            file += block(timeSize: 4)
            file += header(version: secondHeaderVersion ?? version, timeSize: 8, overrides: countOverrides)
            file += block(timeSize: 8)
            if let footer { file += [UInt8(ascii: "\n")] + Array(footer.utf8) + [UInt8(ascii: "\n")] }
        }
        return file + trailing
    }

    func header(version: UInt8, timeSize: Int, overrides: [Int: UInt32]) -> [UInt8] {
        var header = Array("TZif".utf8) + [version] + [UInt8](repeating: 0, count: 15)
        let counts = [types.count, types.count, 0, transitions.count, types.count, designations.count]
        for (index, count) in counts.enumerated() {
            header += Self.bigEndian(UInt64(overrides[index] ?? UInt32(count)), size: 4)
        }
        return header
    }

    func block(timeSize: Int) -> [UInt8] {
        var block: [UInt8] = []
        for transition in transitions { block += Self.bigEndian(UInt64(bitPattern: transition.time), size: timeSize) }
        block += transitions.map(\.type)
        for type in types {
            block += Self.bigEndian(UInt64(UInt32(bitPattern: type.offset)), size: 4) + [type.isDaylightSaving, type.designationIndex]
        }
        block += designations
        block += [UInt8](repeating: 0, count: types.count)  // standard/wall indicators
        block += [UInt8](repeating: 0, count: types.count)  // UT/local indicators
        return block
    }

    static func bigEndian(_ value: UInt64, size: Int) -> [UInt8] {
        (0..<size).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
