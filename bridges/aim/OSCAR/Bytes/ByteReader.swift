/// A bounds-checked big-endian cursor over received bytes.
///
/// Every read names the field it is reading so a short message produces an error that says
/// which field was cut off, rather than a crash or a silent zero.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var index: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
    }

    init(_ bytes: ArraySlice<UInt8>) {
        self.init(Array(bytes))
    }

    var remaining: Int { bytes.count - index }
    var isAtEnd: Bool { index >= bytes.count }

    private func require(_ count: Int, _ field: String) throws(OSCARDecodingError) {
        if count > remaining {
            throw .truncated(field: field, needed: count, available: remaining)
        }
    }

    mutating func readU8(_ field: String) throws(OSCARDecodingError) -> UInt8 {
        try require(1, field)
        defer { index += 1 }
        return bytes[index]
    }

    mutating func readU16(_ field: String) throws(OSCARDecodingError) -> UInt16 {
        try readInteger(field)
    }

    mutating func readU32(_ field: String) throws(OSCARDecodingError) -> UInt32 {
        try readInteger(field)
    }

    mutating func readU64(_ field: String) throws(OSCARDecodingError) -> UInt64 {
        try readInteger(field)
    }

    private mutating func readInteger<T: FixedWidthInteger & UnsignedInteger>(_ field: String) throws(OSCARDecodingError) -> T {
        let size = T.bitWidth / 8
        try require(size, field)
        var value: T = 0
        for offset in 0..<size {
            value = (value << 8) | T(bytes[index + offset])
        }
        index += size
        return value
    }

    mutating func readBytes(_ count: Int, _ field: String) throws(OSCARDecodingError) -> [UInt8] {
        try require(count, field)
        defer { index += count }
        return Array(bytes[index..<(index + count)])
    }

    mutating func readRest() -> [UInt8] {
        defer { index = bytes.count }
        return Array(bytes[index...])
    }

    /// Reads an 8-bit length then that many bytes (screen names in ICBM and user-info blocks).
    mutating func readU8Prefixed(_ field: String) throws(OSCARDecodingError) -> [UInt8] {
        let length = try readU8("\(field) length")
        return try readBytes(Int(length), field)
    }

    /// Reads a 16-bit length then that many bytes.
    mutating func readU16Prefixed(_ field: String) throws(OSCARDecodingError) -> [UInt8] {
        let length = try readU16("\(field) length")
        return try readBytes(Int(length), field)
    }
}
