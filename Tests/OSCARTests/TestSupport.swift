import OSCAR

/// Bytes written as hex pairs separated by spaces, e.g. `"2A 01 00 64"`.
func bytes(_ hex: String) -> [UInt8] {
    hex.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt8($0, radix: 16) }
}

/// The bytes of an ASCII string, for the text parts of hand-written frames.
func ascii(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}

/// A deterministic generator so failures found with random input can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds `input` to a fresh decoder in the given chunk sizes (cycling) and collects frames.
func decodeFrames(_ input: [UInt8], chunkSizes: [Int]) throws -> [FLAPFrame] {
    var decoder = FLAPDecoder()
    var frames: [FLAPFrame] = []
    var offset = 0
    var chunk = 0
    while offset < input.count {
        let size = max(1, chunkSizes[chunk % chunkSizes.count])
        let end = min(input.count, offset + size)
        decoder.append(input[offset..<end])
        while let frame = try decoder.next() {
            frames.append(frame)
        }
        offset = end
        chunk += 1
    }
    return frames
}
