import BridgeProtocol
import Testing

/// Whatever a broken or hostile peer sends, the decoder must either decode or throw — never crash,
/// hang or allocate without bound — and anything it accepts must be exactly what it would have sent.
@Suite("Random garbage never crashes the decoder")
struct GarbageInputTests {
    enum Outcome {
        case decodedEverything
        case needsMoreBytes
        case rejected
    }

    /// Decodes `input` fed in random pieces and checks the invariants on the way.
    static func check(_ input: [UInt8], using generator: inout SeededGenerator) -> Outcome {
        var decoder = BridgeFrameDecoder(maximumFrameLength: 4_096)
        var reencoded: [UInt8] = []
        for piece in randomSplits(of: input, maximumPiece: 300, using: &generator) {
            decoder.append(piece)
            do {
                while let message = try decoder.next() {
                    BridgeFrameEncoder.encode(message, into: &reencoded)
                }
            } catch {
                // Accepted frames re-encode to exactly the bytes they came from: decoding is canonical.
                #expect(input.starts(with: reencoded))
                #expect(!error.reason.isEmpty)
                #expect(throws: error) { try decoder.next() }
                return .rejected
            }
        }
        #expect(input.starts(with: reencoded))
        #expect(reencoded.count + decoder.bufferedByteCount == input.count)
        return decoder.bufferedByteCount == 0 ? .decodedEverything : .needsMoreBytes
    }

    @Test("uniformly random bytes")
    func randomBytes() {
        var generator = SeededGenerator(seed: 0xB0B)
        var rejected = 0
        for _ in 0..<3_000 {
            let count = Int.random(in: 0...64, using: &generator)
            let input = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            if Self.check(input, using: &generator) == .rejected {
                rejected += 1
            }
        }
        #expect(rejected > 0)
    }

    @Test("plausible frames: a valid header in front of random bytes")
    func validHeaderRandomBody() {
        var generator = SeededGenerator(seed: 0xF00D)
        var outcomes: [Outcome: Int] = [:]
        for _ in 0..<5_000 {
            let bodySize = Int.random(in: 0...40, using: &generator)
            let type = BridgeFrameType.allCases.randomElement(using: &generator)?.rawValue ?? 0
            var input: [UInt8] = []
            input.append(contentsOf: [0, 0, 0, UInt8(bodySize + 1)])
            input.append(type)
            for _ in 0..<bodySize {
                // Small values make plausible lengths, counts and bools more likely.
                let small = Bool.random(using: &generator)
                input.append(UInt8.random(in: 0...(small ? 3 : .max), using: &generator))
            }
            outcomes[Self.check(input, using: &generator), default: 0] += 1
        }
        #expect(outcomes[.rejected, default: 0] > 0)
        #expect(outcomes[.decodedEverything, default: 0] > 0)
    }

    @Test("valid streams with a few bytes flipped, dropped or inserted")
    func mutatedValidStreams() {
        var generator = SeededGenerator(seed: 0xCAFE)
        var outcomes: [Outcome: Int] = [:]
        for _ in 0..<3_000 {
            let messages = (0..<Int.random(in: 1...4, using: &generator)).compactMap { _ in
                SampleMessages.all.randomElement(using: &generator)
            }
            var input = encodeAll(messages)
            for _ in 0..<Int.random(in: 1...3, using: &generator) where !input.isEmpty {
                let position = Int.random(in: input.indices, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: input[position] ^= UInt8.random(in: 1 ... .max, using: &generator)
                case 1: input.remove(at: position)
                default: input.insert(UInt8.random(in: .min ... .max, using: &generator), at: position)
                }
            }
            outcomes[Self.check(input, using: &generator), default: 0] += 1
        }
        #expect(outcomes[.rejected, default: 0] > 0)
        #expect(outcomes[.decodedEverything, default: 0] > 0)
        #expect(outcomes[.needsMoreBytes, default: 0] > 0)
    }
}
