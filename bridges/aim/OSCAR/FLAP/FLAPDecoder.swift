/// Cuts FLAP frames out of a TCP byte stream that arrives in arbitrary pieces.
///
/// Append whatever the socket delivered, then call `next()` until it returns `nil`. The
/// header is validated as soon as it is complete, so a corrupt or hostile stream is rejected
/// before its announced payload is waited for. After an error the stream cannot be trusted:
/// every later `next()` throws the same error, and the connection should be closed.
public struct FLAPDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: OSCARDecodingError?

    public init() {}

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes; they may split frames anywhere.
    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete frame, or `nil` if more bytes are needed.
    public mutating func next() throws(OSCARDecodingError) -> FLAPFrame? {
        if let failure { throw failure }
        do throws(OSCARDecodingError) {
            return try decodeFrame()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func decodeFrame() throws(OSCARDecodingError) -> FLAPFrame? {
        let available = buffer.count - readIndex
        guard available >= 1 else { return nil }
        let start = buffer[readIndex]
        guard start == FLAPFrame.startByte else { throw .badFLAPStartByte(start) }
        guard available >= 2 else { return nil }
        let channelByte = buffer[readIndex + 1]
        guard let channel = FLAPChannel(rawValue: channelByte) else { throw .unknownFLAPChannel(channelByte) }
        guard available >= FLAPFrame.headerLength else { return nil }
        let sequence = UInt16(buffer[readIndex + 2]) << 8 | UInt16(buffer[readIndex + 3])
        let length = Int(UInt16(buffer[readIndex + 4]) << 8 | UInt16(buffer[readIndex + 5]))
        guard length <= FLAPFrame.maximumPayloadLength else {
            throw .flapPayloadTooLong(length: length, maximum: FLAPFrame.maximumPayloadLength)
        }
        guard available >= FLAPFrame.headerLength + length else { return nil }
        let payloadStart = readIndex + FLAPFrame.headerLength
        let payload = Array(buffer[payloadStart..<(payloadStart + length)])
        readIndex = payloadStart + length
        compactIfWorthwhile()
        return FLAPFrame(channel: channel, sequence: sequence, payload: payload)
    }

    /// Drops consumed bytes once they dominate the buffer, keeping appends amortised O(1).
    private mutating func compactIfWorthwhile() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
