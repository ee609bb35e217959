/// Appending the protocol's primitive encodings to a byte buffer.
///
/// Kept internal: callers only ever encode whole messages, so the frame layout stays in one place.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendU8(_ value: UInt8) {
        append(value)
    }

    @inline(__always)
    mutating func appendU16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value &>> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendU32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value &>> 24))
        append(UInt8(truncatingIfNeeded: value &>> 16))
        append(UInt8(truncatingIfNeeded: value &>> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendU64(_ value: UInt64) {
        appendU32(UInt32(truncatingIfNeeded: value &>> 32))
        appendU32(UInt32(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendI64(_ value: Int64) {
        appendU64(UInt64(bitPattern: value))
    }

    @inline(__always)
    mutating func appendBool(_ value: Bool) {
        append(value ? 1 : 0)
    }

    /// A `u32` byte count, then the UTF-8 bytes. Swift strings are always valid Unicode, so the bytes
    /// written are always valid UTF-8.
    mutating func appendString(_ value: String) {
        let utf8 = value.utf8
        appendU32(UInt32(utf8.count))
        append(contentsOf: utf8)
    }

    /// A `u32` item count, then each item.
    mutating func appendList<Item>(_ items: [Item], _ appendItem: (inout [UInt8], Item) -> Void) {
        appendU32(UInt32(items.count))
        for item in items {
            appendItem(&self, item)
        }
    }

    mutating func appendGateway(_ gateway: GatewayDescriptor) {
        appendU64(gateway.id)
        appendString(gateway.protocolName)
        appendString(gateway.queue)
        appendString(gateway.username)
        appendString(gateway.secret)
        appendBool(gateway.online)
    }

    mutating func appendMedia(_ media: Media) {
        appendString(media.url)
        appendString(media.contentType)
    }
}
