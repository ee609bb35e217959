/// Incremental decoder: feed bytes as they arrive in any split; pull whole messages.
///
/// It is a plain value with no I/O so that the transport, the tests and a fuzzer drive it the same way.
/// Bytes are kept in one growing buffer with a read index; consumed bytes are dropped in bulk when that
/// is cheap (see `append`), never one frame at a time, so decoding stays linear in the bytes received.
///
/// After the first bad frame the decoder is poisoned: every later `next()` throws the same error,
/// because after a framing error nobody knows where the next frame starts. The connection must close.
public struct BridgeFrameDecoder: Sendable {
    /// The largest accepted length field (type byte plus body).
    public let maximumFrameLength: Int

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: BridgeProtocolError?

    /// - Parameter maximumFrameLength: the largest accepted length field; lengths above it are rejected
    ///   as soon as the four header bytes arrive. Values below 1 are treated as 1.
    public init(maximumFrameLength: Int = BridgeFrameLimits.maximumFrameLength) {
        self.maximumFrameLength = max(1, maximumFrameLength)
    }

    /// Bytes buffered but not yet decoded (lets the caller detect truncation at EOF).
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes, in whatever pieces the transport read them.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfCheap()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes straight from a transport's read buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfCheap()
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next whole message, nil if more bytes are needed; throws on a bad frame (after which the
    /// decoder is unusable — the connection must close).
    public mutating func next() throws(BridgeProtocolError) -> BridgeMessage? {
        if let failure {
            throw failure
        }
        do {
            return try decodeNextFrame()
        } catch {
            failure = error
            throw error
        }
    }

    /// Call when the peer has closed the stream: throws if it closed in the middle of a frame (or if
    /// the decoder already failed), so a truncated frame is reported as a bad frame, not lost silently.
    public func checkEndOfStream() throws(BridgeProtocolError) {
        if let failure {
            throw failure
        }
        let buffered = bufferedByteCount
        guard buffered > 0 else { return }
        if buffered < BridgeFrameLimits.lengthFieldSize {
            throw BridgeProtocolError(
                reason: "stream ended inside a frame header: \(buffered) of \(BridgeFrameLimits.lengthFieldSize)"
                    + " bytes received")
        }
        let frameSize = BridgeFrameLimits.lengthFieldSize + lengthField(at: readIndex)
        throw BridgeProtocolError(
            reason: "stream ended inside a frame: \(buffered) of \(frameSize) bytes received")
    }

    // MARK: Decoding

    private mutating func decodeNextFrame() throws(BridgeProtocolError) -> BridgeMessage? {
        let headerSize = BridgeFrameLimits.lengthFieldSize
        let available = bufferedByteCount
        guard available >= headerSize else { return nil }

        let length = lengthField(at: readIndex)
        guard length > 0 else {
            throw BridgeProtocolError(reason: "frame length 0 is invalid: a frame holds at least its type byte")
        }
        guard length <= maximumFrameLength else {
            throw BridgeProtocolError(reason: "frame length \(length) exceeds the maximum \(maximumFrameLength)")
        }
        guard available > headerSize else { return nil }

        let typeByte = buffer[readIndex + headerSize]
        guard let type = BridgeFrameType(rawValue: typeByte) else {
            throw BridgeProtocolError(reason: "unknown frame type \(Self.hex(typeByte)) (frame length \(length))")
        }
        guard available >= headerSize + length else { return nil }

        let bodyStart = readIndex + headerSize + 1
        let bodyEnd = readIndex + headerSize + length
        let message = try Self.decodeBody(of: type, in: buffer, from: bodyStart, to: bodyEnd)
        readIndex = bodyEnd
        if readIndex == buffer.count {
            // The common case: everything read has been decoded; start over without moving bytes.
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return message
    }

    /// A separate function so the reader's reference to the buffer ends before the buffer is mutated
    /// again (otherwise the mutation would copy it).
    private static func decodeBody(
        of type: BridgeFrameType, in bytes: [UInt8], from bodyStart: Int, to bodyEnd: Int
    ) throws(BridgeProtocolError) -> BridgeMessage {
        var reader = FrameBodyReader(bytes: bytes, bodyStart: bodyStart, bodyEnd: bodyEnd, frame: type)
        let message = try reader.readMessage(of: type)
        try reader.requireFullyConsumed()
        return message
    }

    private func lengthField(at offset: Int) -> Int {
        Int(buffer[offset]) << 24 | Int(buffer[offset + 1]) << 16
            | Int(buffer[offset + 2]) << 8 | Int(buffer[offset + 3])
    }

    /// Drops consumed bytes when moving the unconsumed rest costs no more than the bytes already
    /// consumed, which keeps the total copying linear in the bytes received.
    private mutating func compactIfCheap() {
        guard readIndex > 0, readIndex >= bufferedByteCount else { return }
        buffer.removeSubrange(0..<readIndex)
        readIndex = 0
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return "0x" + (digits.count < 2 ? "0" + digits : digits)
    }
}
