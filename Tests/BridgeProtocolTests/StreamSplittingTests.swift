import BridgeProtocol
import Testing

/// A stream socket delivers bytes in arbitrary pieces; the decoder must not care where the cuts fall.
@Suite("A stream decodes the same however it is split")
struct StreamSplittingTests {
    static let messages = SampleMessages.stream(count: 2_000, seed: 7)
    static let stream = encodeAll(messages)

    @Test("all frames in one piece")
    func wholeStream() throws {
        let result = try decodeAll([Self.stream[...]])
        #expect(result.messages == Self.messages)
        #expect(result.leftover == 0)
    }

    @Test("one byte at a time")
    func byteByByte() throws {
        let result = try decodeAll(Self.stream.indices.map { Self.stream[$0...$0] })
        #expect(result.messages == Self.messages)
        #expect(result.leftover == 0)
    }

    @Test("random pieces", arguments: [(UInt64(1), 7), (2, 64), (3, 1_000), (4, 70_000), (5, 3)])
    func randomPieces(seed: UInt64, maximumPiece: Int) throws {
        var generator = SeededGenerator(seed: seed)
        let pieces = randomSplits(of: Self.stream, maximumPiece: maximumPiece, using: &generator)
        #expect(pieces.count > 1)
        let result = try decodeAll(pieces)
        #expect(result.messages == Self.messages)
        #expect(result.leftover == 0)
    }

    @Test("bytes from a raw buffer decode like bytes from an array")
    func rawBufferAppend() throws {
        var decoder = BridgeFrameDecoder()
        var decoded: [BridgeMessage] = []
        var offset = 0
        while offset < Self.stream.count {
            let end = min(Self.stream.count, offset + 4_093)
            Self.stream[offset..<end].withUnsafeBytes { decoder.append($0) }
            while let message = try decoder.next() {
                decoded.append(message)
            }
            offset = end
        }
        #expect(decoded == Self.messages)
    }

    @Test("a partial frame yields nil and stays buffered until the rest arrives")
    func partialFrame() throws {
        let frame = BridgeFrameEncoder.encode(SampleMessages.all[0])
        for cut in 1..<frame.count {
            var decoder = BridgeFrameDecoder()
            decoder.append(frame[..<cut])
            #expect(try decoder.next() == nil)
            #expect(decoder.bufferedByteCount == cut)
            decoder.append(frame[cut...])
            #expect(try decoder.next() == SampleMessages.all[0])
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test("the end of the stream is clean only between frames")
    func endOfStream() throws {
        var decoder = BridgeFrameDecoder()
        try decoder.checkEndOfStream()

        let frame = BridgeFrameEncoder.encode(.ping(nonce: 1))
        decoder.append(frame[..<2])
        #expect(throws: BridgeProtocolError(reason: "stream ended inside a frame header: 2 of 4 bytes received")) {
            try decoder.checkEndOfStream()
        }
        decoder.append(frame[2..<6])
        #expect(try decoder.next() == nil)
        #expect(throws: BridgeProtocolError(reason: "stream ended inside a frame: 6 of 13 bytes received")) {
            try decoder.checkEndOfStream()
        }
        decoder.append(frame[6...])
        #expect(try decoder.next() == .ping(nonce: 1))
        try decoder.checkEndOfStream()
    }
}
