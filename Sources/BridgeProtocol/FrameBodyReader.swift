/// Reads the protocol's primitive encodings from one frame body, checking every length against the
/// bytes actually left so that no field can read past its frame.
///
/// It reads the decoder's buffer in place (an array shares its storage, it is not copied) between
/// `index` and `end`. Errors name the frame and field, e.g. `welcome.gateways[2].secret`, because the
/// reason ends up in a log line on the far side of a socket.
struct FrameBodyReader {
    private let bytes: [UInt8]
    private var index: Int
    private let end: Int
    private let frame: BridgeFrameType
    /// The list being read and the item's position in it, for error messages.
    private var listItem: (field: StaticString, index: Int)?

    init(bytes: [UInt8], bodyStart: Int, bodyEnd: Int, frame: BridgeFrameType) {
        self.bytes = bytes
        self.index = bodyStart
        self.end = bodyEnd
        self.frame = frame
    }

    var remaining: Int { end - index }

    // MARK: Primitives

    mutating func readU8(_ field: StaticString) throws(BridgeProtocolError) -> UInt8 {
        try require(1, for: field)
        defer { index += 1 }
        return bytes[index]
    }

    mutating func readU16(_ field: StaticString) throws(BridgeProtocolError) -> UInt16 {
        UInt16(truncatingIfNeeded: try readBigEndian(byteCount: 2, field))
    }

    mutating func readU32(_ field: StaticString) throws(BridgeProtocolError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readBigEndian(byteCount: 4, field))
    }

    mutating func readU64(_ field: StaticString) throws(BridgeProtocolError) -> UInt64 {
        try readBigEndian(byteCount: 8, field)
    }

    mutating func readI64(_ field: StaticString) throws(BridgeProtocolError) -> Int64 {
        Int64(bitPattern: try readU64(field))
    }

    mutating func readBool(_ field: StaticString) throws(BridgeProtocolError) -> Bool {
        switch try readU8(field) {
        case 0: return false
        case 1: return true
        case let other: throw error(field, "bool must be 0 or 1, got \(other)")
        }
    }

    mutating func readString(_ field: StaticString) throws(BridgeProtocolError) -> String {
        let count = Int(try readU32(field))
        guard count <= remaining else {
            throw error(field, "string length \(count) exceeds the \(remaining) bytes left in the body")
        }
        let utf8 = bytes[index..<(index + count)]
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw error(field, "string of \(count) bytes is not valid UTF-8")
        }
        index += count
        return string
    }

    /// Reads a `u32` count and that many items. The count is checked against the bytes left before
    /// anything is allocated: each item takes at least `minimumItemSize` bytes, so a hostile count cannot
    /// make the receiver reserve gigabytes.
    mutating func readList<Item>(
        _ field: StaticString,
        minimumItemSize: Int,
        _ readItem: (inout FrameBodyReader) throws(BridgeProtocolError) -> Item
    ) throws(BridgeProtocolError) -> [Item] {
        let count = Int(try readU32(field))
        guard count <= remaining / max(minimumItemSize, 1) else {
            throw error(
                field,
                "list count \(count) exceeds what the \(remaining) bytes left in the body can hold"
                    + " (each item takes at least \(minimumItemSize) bytes)")
        }
        var items: [Item] = []
        items.reserveCapacity(count)
        let enclosing = listItem
        defer { listItem = enclosing }
        for position in 0..<count {
            listItem = (field, position)
            items.append(try readItem(&self))
        }
        return items
    }

    /// A body must be consumed exactly: bytes left over mean the peer and this decoder disagree on the
    /// layout, and guessing would be worse than closing.
    func requireFullyConsumed() throws(BridgeProtocolError) {
        guard remaining == 0 else {
            throw BridgeProtocolError(reason: "\(frame.name): \(remaining) trailing bytes after the last field")
        }
    }

    /// Builds an error naming the frame and field being read.
    func error(_ field: StaticString, _ problem: String) -> BridgeProtocolError {
        var path = frame.name
        if let listItem {
            path += ".\(listItem.field)[\(listItem.index)]"
        }
        let fieldName = "\(field)"
        if !fieldName.isEmpty {
            path += ".\(fieldName)"
        }
        return BridgeProtocolError(reason: "\(path): \(problem)")
    }

    // MARK: Helpers

    private func require(_ count: Int, for field: StaticString) throws(BridgeProtocolError) {
        guard count <= remaining else {
            throw error(field, "needs \(count) bytes but only \(remaining) remain in the body")
        }
    }

    private mutating func readBigEndian(byteCount: Int, _ field: StaticString) throws(BridgeProtocolError) -> UInt64 {
        try require(byteCount, for: field)
        var value: UInt64 = 0
        for offset in index..<(index + byteCount) {
            value = value &<< 8 | UInt64(bytes[offset])
        }
        index += byteCount
        return value
    }
}
