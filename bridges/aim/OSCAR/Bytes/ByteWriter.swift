/// Big-endian appends used by every encoder.
extension Array where Element == UInt8 {
    mutating func appendU8(_ value: UInt8) {
        append(value)
    }

    mutating func appendU16(_ value: UInt16) {
        appendInteger(value)
    }

    mutating func appendU32(_ value: UInt32) {
        appendInteger(value)
    }

    mutating func appendU64(_ value: UInt64) {
        appendInteger(value)
    }

    private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        var shift = T.bitWidth - 8
        while shift >= 0 {
            append(UInt8(truncatingIfNeeded: value >> shift))
            shift -= 8
        }
    }

    /// Appends an 8-bit length and the bytes, refusing values the prefix cannot describe.
    mutating func appendU8Prefixed(_ bytes: [UInt8], field: String) throws(OSCAREncodingError) {
        guard bytes.count <= Int(UInt8.max) else {
            throw .fieldTooLong(field: field, length: bytes.count, maximum: Int(UInt8.max))
        }
        append(UInt8(bytes.count))
        append(contentsOf: bytes)
    }

    /// Appends a 16-bit length and the bytes, refusing values the prefix cannot describe.
    mutating func appendU16Prefixed(_ bytes: [UInt8], field: String) throws(OSCAREncodingError) {
        guard bytes.count <= Int(UInt16.max) else {
            throw .fieldTooLong(field: field, length: bytes.count, maximum: Int(UInt16.max))
        }
        appendU16(UInt16(bytes.count))
        append(contentsOf: bytes)
    }
}
