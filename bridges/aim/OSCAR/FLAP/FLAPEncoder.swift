extension FLAPFrame {
    /// The frame as wire bytes.
    ///
    /// Throws rather than truncating when the payload is longer than a FLAP frame can carry,
    /// because a server would read the cut-off remainder as the start of the next frame.
    public func encoded() throws(OSCAREncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(into: &bytes)
        return bytes
    }

    /// Appends the frame's wire bytes to `buffer` (for writing several frames at once).
    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        guard payload.count <= Self.maximumPayloadLength else {
            throw .fieldTooLong(field: "FLAP payload", length: payload.count, maximum: Self.maximumPayloadLength)
        }
        buffer.reserveCapacity(buffer.count + Self.headerLength + payload.count)
        buffer.appendU8(Self.startByte)
        buffer.appendU8(channel.rawValue)
        buffer.appendU16(sequence)
        buffer.appendU16(UInt16(payload.count))
        buffer.append(contentsOf: payload)
    }
}
