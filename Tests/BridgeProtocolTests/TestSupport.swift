import BridgeProtocol
import Testing

/// A small deterministic generator (SplitMix64) so random tests fail the same way every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}

/// Bytes from hex written for people: spaces and line breaks are ignored.
func hexBytes(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    guard digits.count.isMultiple(of: 2) else {
        Issue.record("odd number of hex digits in \(text)", sourceLocation: sourceLocation)
        return []
    }
    var bytes: [UInt8] = []
    for pairStart in stride(from: 0, to: digits.count, by: 2) {
        guard let byte = UInt8(String(digits[pairStart...pairStart + 1]), radix: 16) else {
            Issue.record("bad hex digits at \(pairStart) in \(text)", sourceLocation: sourceLocation)
            return []
        }
        bytes.append(byte)
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count < 2 ? "0" + digits : digits
    }.joined(separator: " ")
}

/// Feeds `chunks` one at a time and pulls every message that becomes complete.
func decodeAll(
    _ chunks: some Sequence<ArraySlice<UInt8>>,
    maximumFrameLength: Int = BridgeFrameLimits.maximumFrameLength
) throws(BridgeProtocolError) -> (messages: [BridgeMessage], leftover: Int) {
    var decoder = BridgeFrameDecoder(maximumFrameLength: maximumFrameLength)
    var messages: [BridgeMessage] = []
    for chunk in chunks {
        decoder.append(chunk)
        while let message = try decoder.next() {
            messages.append(message)
        }
    }
    return (messages, decoder.bufferedByteCount)
}

/// Splits `bytes` into random pieces of 1 to `maximumPiece` bytes (some empty, to check those are harmless).
func randomSplits(
    of bytes: [UInt8], maximumPiece: Int, using generator: inout SeededGenerator
) -> [ArraySlice<UInt8>] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        let size = Int.random(in: 0...maximumPiece, using: &generator)
        let end = min(bytes.count, start + size)
        pieces.append(bytes[start..<end])
        start = end
    }
    return pieces
}

func encodeAll(_ messages: [BridgeMessage]) -> [UInt8] {
    var stream: [UInt8] = []
    for message in messages {
        BridgeFrameEncoder.encode(message, into: &stream)
    }
    return stream
}
