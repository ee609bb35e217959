import BridgeProtocol
import NIOCore

/// Turns the byte chunks of a connection into bridge messages, one read's worth at a time.
///
/// Batching per read lets the owner make a whole burst of reliable frames durable in one commit.
public struct FrameReader {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var decoder: BridgeFrameDecoder
    private var decoded: [BridgeMessage] = []
    /// A decoding error met after some good frames of the same read: delivered on the next call, so the good
    /// frames before a bad one are still handled.
    private var pendingError: BridgeProtocolError?

    public init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, maximumFrameLength: Int) {
        self.iterator = inbound.makeAsyncIterator()
        self.decoder = BridgeFrameDecoder(maximumFrameLength: maximumFrameLength)
    }

    /// The next message; nil at a clean end of stream. Used for the handshake.
    public mutating func next() async throws -> BridgeMessage? {
        while decoded.isEmpty {
            guard let batch = try await readBatch() else { return nil }
            decoded = batch
        }
        return decoded.removeFirst()
    }

    /// Every message that is complete after the next read (or left over from the handshake); nil at a clean end.
    ///
    /// Throws `BridgeSessionEnd.badFrame` for a malformed frame, including one cut off by the end of the stream.
    public mutating func nextBatch() async throws -> [BridgeMessage]? {
        if !decoded.isEmpty {
            defer { decoded = [] }
            return decoded
        }
        return try await readBatch()
    }

    private mutating func readBatch() async throws -> [BridgeMessage]? {
        if let pendingError { throw BridgeSessionEnd.badFrame(pendingError) }
        while true {
            guard var chunk = try await iterator.next() else {
                if decoder.bufferedByteCount > 0 {
                    throw BridgeSessionEnd.badFrame(
                        BridgeProtocolError(reason: "connection ended inside a frame (\(decoder.bufferedByteCount) bytes of it received)")
                    )
                }
                return nil
            }
            if let bytes = chunk.readBytes(length: chunk.readableBytes) {
                decoder.append(bytes)
            }
            var messages: [BridgeMessage] = []
            do {
                while let message = try decoder.next() { messages.append(message) }
            } catch {
                if messages.isEmpty { throw BridgeSessionEnd.badFrame(error) }
                pendingError = error
            }
            if !messages.isEmpty { return messages }
        }
    }
}

/// Encodes messages into one buffer, so a burst goes out in one write.
public enum FrameWriter {
    public static func encode(_ messages: [BridgeMessage]) -> ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 * messages.count)
        for message in messages { BridgeFrameEncoder.encode(message, into: &bytes) }
        return ByteBuffer(bytes: bytes)
    }
}
