/// A type-length-value item, OSCAR's extensible field format.
///
/// Most SNACs carry their optional data as TLVs; unknown types are kept, not dropped, so a
/// message decoded and re-encoded keeps what a newer server added.
public struct TLV: Sendable, Hashable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// A TLV with no value; OSCAR uses these as flags (e.g. 0x4C "strong hash").
    public static func flag(_ type: UInt16) -> TLV {
        TLV(type: type, value: [])
    }

    public static func u8(_ type: UInt16, _ value: UInt8) -> TLV {
        TLV(type: type, value: [value])
    }

    public static func u16(_ type: UInt16, _ value: UInt16) -> TLV {
        var bytes: [UInt8] = []
        bytes.appendU16(value)
        return TLV(type: type, value: bytes)
    }

    public static func u32(_ type: UInt16, _ value: UInt32) -> TLV {
        var bytes: [UInt8] = []
        bytes.appendU32(value)
        return TLV(type: type, value: bytes)
    }

    /// A string TLV; OSCAR strings in TLVs are unterminated bytes, UTF-8 here.
    public static func string(_ type: UInt16, _ value: String) -> TLV {
        TLV(type: type, value: Array(value.utf8))
    }

    /// The value as one byte; throws if it is not exactly one byte long.
    public func u8Value() throws(OSCARDecodingError) -> UInt8 {
        try checkLength(1)
        return value[0]
    }

    /// The value as a big-endian u16; throws if it is not exactly two bytes long.
    public func u16Value() throws(OSCARDecodingError) -> UInt16 {
        try checkLength(2)
        var reader = ByteReader(value)
        return try reader.readU16("TLV \(hex(type)) value")
    }

    /// The value as a big-endian u32; throws if it is not exactly four bytes long.
    public func u32Value() throws(OSCARDecodingError) -> UInt32 {
        try checkLength(4)
        var reader = ByteReader(value)
        return try reader.readU32("TLV \(hex(type)) value")
    }

    /// The value as text; invalid UTF-8 is repaired rather than rejected because screen names
    /// and URLs from old servers may be Latin-1.
    public var stringValue: String {
        String(decoding: value, as: UTF8.self)
    }

    private func checkLength(_ expected: Int) throws(OSCARDecodingError) {
        guard value.count == expected else {
            throw .invalidValue(field: "TLV \(hex(type))", reason: "expected \(expected) value bytes, got \(value.count)")
        }
    }
}
