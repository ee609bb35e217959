import OSCAR
import Testing

@Suite("FLAP framing")
struct FLAPTests {
    static let helloBytes = bytes("2A 01 00 64 00 04 00 00 00 01")
    static let hello = FLAPFrame(channel: .signOn, sequence: 100, payload: bytes("00 00 00 01"))

    @Test func `a frame encodes as marker, channel, sequence, length and payload`() throws {
        #expect(try Self.hello.encoded() == Self.helloBytes)
    }

    @Test func `an empty keepalive is a six-byte header on channel 5`() throws {
        #expect(try FLAPFrame.keepalive(sequence: 0x1234).encoded() == bytes("2A 05 12 34 00 00"))
    }

    @Test func `a whole frame decodes to the same frame`() throws {
        var decoder = FLAPDecoder()
        decoder.append(Self.helloBytes)
        #expect(try decoder.next() == Self.hello)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    static let stream: [UInt8] = {
        var stream: [UInt8] = []
        let frames = [
            FLAPFrame(channel: .signOn, sequence: 1, payload: bytes("00 00 00 01")),
            FLAPFrame(channel: .snac, sequence: 2, payload: Array(0..<200)),
            FLAPFrame(channel: .keepalive, sequence: 3, payload: []),
            FLAPFrame(channel: .signOff, sequence: 4, payload: bytes("00 09 00 02 00 01")),
        ]
        for frame in frames {
            try? frame.encode(into: &stream)
        }
        return stream
    }()

    @Test func `frames split byte by byte decode identically`() throws {
        let whole = try decodeFrames(Self.stream, chunkSizes: [Self.stream.count])
        #expect(whole.count == 4)
        #expect(try decodeFrames(Self.stream, chunkSizes: [1]) == whole)
    }

    @Test(arguments: [1, 7, 42, 1234, 99_999] as [UInt64])
    func `frames split at random points decode identically`(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let sizes = (0..<64).map { _ in Int.random(in: 1...40, using: &random) }
        let whole = try decodeFrames(Self.stream, chunkSizes: [Self.stream.count])
        #expect(try decodeFrames(Self.stream, chunkSizes: sizes) == whole)
    }

    @Test func `a truncated frame waits for more bytes instead of failing`() throws {
        var decoder = FLAPDecoder()
        decoder.append(Self.helloBytes.dropLast())
        #expect(try decoder.next() == nil)
        decoder.append(Self.helloBytes.suffix(1))
        #expect(try decoder.next() == Self.hello)
    }

    @Test func `a start byte other than 0x2A is rejected at once`() {
        var decoder = FLAPDecoder()
        decoder.append(bytes("2B 01"))
        #expect(throws: OSCARDecodingError.badFLAPStartByte(0x2B)) { try decoder.next() }
    }

    @Test(arguments: [0, 6, 0xFF] as [UInt8])
    func `an unknown channel is rejected before the payload arrives`(channel: UInt8) {
        var decoder = FLAPDecoder()
        decoder.append([0x2A, channel])
        #expect(throws: OSCARDecodingError.unknownFLAPChannel(channel)) { try decoder.next() }
    }

    @Test func `a payload over 0xFFF9 bytes is rejected from the header alone`() {
        var decoder = FLAPDecoder()
        decoder.append(bytes("2A 02 00 01 FF FA"))
        #expect(throws: OSCARDecodingError.flapPayloadTooLong(length: 0xFFFA, maximum: 0xFFF9)) { try decoder.next() }
    }

    @Test func `after an error the decoder keeps refusing the stream`() {
        var decoder = FLAPDecoder()
        decoder.append(bytes("00"))
        #expect(throws: OSCARDecodingError.self) { try decoder.next() }
        decoder.append(Self.helloBytes)
        #expect(throws: OSCARDecodingError.badFLAPStartByte(0x00)) { try decoder.next() }
    }

    @Test func `errors say what was wrong`() {
        #expect(OSCARDecodingError.flapPayloadTooLong(length: 65530, maximum: 65529).description
            == "FLAP payload length 65530 exceeds the maximum 65529")
        #expect(OSCARDecodingError.badFLAPStartByte(0x2B).description == "FLAP frame starts with 0x2B instead of 0x2A")
    }

    @Test func `encoding refuses a payload larger than a frame can carry`() {
        let frame = FLAPFrame(channel: .snac, sequence: 0, payload: [UInt8](repeating: 0, count: 0xFFFA))
        #expect(throws: OSCAREncodingError.fieldTooLong(field: "FLAP payload", length: 0xFFFA, maximum: 0xFFF9)) {
            try frame.encoded()
        }
    }

    @Test func `the largest allowed payload round-trips`() throws {
        let frame = FLAPFrame(channel: .snac, sequence: 0x7FFF, payload: [UInt8](repeating: 0xAB, count: 0xFFF9))
        #expect(try decodeFrames(frame.encoded(), chunkSizes: [4096]) == [frame])
    }
}
