/// How a run of TLVs is delimited inside a message.
public enum TLVListFormat: Sendable, Hashable {
    /// A u16 count, then that many TLVs (user-info blocks).
    case countPrefixed
    /// A u16 byte length, then TLVs filling exactly that many bytes.
    case lengthPrefixed
    /// TLVs until the end of the enclosing data (most SNAC bodies).
    case toEnd
}

extension [TLV] {
    /// The first TLV of `type`; OSCAR senders do not repeat types where a single value is meant.
    public func first(type: UInt16) -> TLV? {
        first { $0.type == type }
    }

    /// Whether a TLV of `type` is present (flags such as "store offline" have no value).
    public func contains(type: UInt16) -> Bool {
        contains { $0.type == type }
    }

    /// Decodes a TLV list laid out as `format` from the start of `bytes`, requiring all of
    /// `bytes` to be used.
    public static func decode(_ bytes: [UInt8], format: TLVListFormat) throws(OSCARDecodingError) -> [TLV] {
        var reader = ByteReader(bytes)
        let list = try reader.readTLVList(format: format)
        guard reader.isAtEnd else {
            throw .invalidValue(field: "TLV list", reason: "\(reader.remaining) bytes left over after the list")
        }
        return list
    }

    /// The list encoded as `format`.
    public func encoded(format: TLVListFormat) throws(OSCAREncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(into: &bytes, format: format)
        return bytes
    }

    /// Appends the list encoded as `format`, refusing counts and lengths that overflow u16.
    public func encode(into buffer: inout [UInt8], format: TLVListFormat) throws(OSCAREncodingError) {
        var body: [UInt8] = []
        for tlv in self {
            body.appendU16(tlv.type)
            try body.appendU16Prefixed(tlv.value, field: "TLV \(hex(tlv.type)) value")
        }
        switch format {
        case .countPrefixed:
            guard count <= Int(UInt16.max) else {
                throw .fieldTooLong(field: "TLV count", length: count, maximum: Int(UInt16.max))
            }
            buffer.appendU16(UInt16(count))
            buffer.append(contentsOf: body)
        case .lengthPrefixed:
            try buffer.appendU16Prefixed(body, field: "TLV block")
        case .toEnd:
            buffer.append(contentsOf: body)
        }
    }
}

extension ByteReader {
    mutating func readTLV() throws(OSCARDecodingError) -> TLV {
        let type = try readU16("TLV type")
        let value = try readU16Prefixed("TLV \(hex(type)) value")
        return TLV(type: type, value: value)
    }

    mutating func readTLVList(format: TLVListFormat) throws(OSCARDecodingError) -> [TLV] {
        var list: [TLV] = []
        switch format {
        case .countPrefixed:
            let count = try readU16("TLV count")
            for _ in 0..<count {
                list.append(try readTLV())
            }
        case .lengthPrefixed:
            var block = ByteReader(try readU16Prefixed("TLV block"))
            while !block.isAtEnd {
                list.append(try block.readTLV())
            }
        case .toEnd:
            while !isAtEnd {
                list.append(try readTLV())
            }
        }
        return list
    }
}
