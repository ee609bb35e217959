import Foundation
import FuzzHarness
import Testing

/// Every saved fuzz input — the seed corpus and each input that once crashed a decoder — replayed
/// through the same entry point its fuzz target calls. Each must end in a decoded value or a clear
/// refusal, never a crash or a broken invariant.
@Suite("Saved fuzz inputs")
struct FuzzRegressionTests {
    /// `Fuzz/` at the package root, found from this file's location.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    struct SavedInput: CustomTestStringConvertible, Sendable {
        let target: String
        let kind: String
        let name: String
        let bytes: [UInt8]
        var testDescription: String { "\(kind)/\(target)/\(name)" }
    }

    static func savedInputs(kind: String) -> [SavedInput] {
        var inputs: [SavedInput] = []
        for target in FuzzHarness.targetNames {
            let folder = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
                inputs.append(SavedInput(target: target, kind: kind, name: name, bytes: Array(data)))
            }
        }
        return inputs
    }

    @Test("every fuzz target has a seed corpus")
    func everyTargetHasSeeds() {
        for target in FuzzHarness.targetNames {
            let seeds = Self.savedInputs(kind: "corpus").filter { $0.target == target }
            #expect(!seeds.isEmpty, "Fuzz/corpus/\(target) holds no seed inputs")
        }
    }

    @Test("every fuzz target has a seed the decoder accepts, so fuzzing starts from valid input")
    func everyTargetHasAnAcceptedSeed() {
        for target in FuzzHarness.targetNames {
            let outcomes = Self.savedInputs(kind: "corpus").filter { $0.target == target }
                .compactMap { FuzzHarness.run(target: target, $0.bytes) }
            let accepted = outcomes.contains { if case .value = $0 { true } else { false } }
            #expect(accepted, "no seed of \(target) decodes: \(outcomes)")
        }
    }

    @Test("a seed input ends in a value or a clear refusal", arguments: savedInputs(kind: "corpus"))
    func seedInput(_ input: SavedInput) throws {
        let outcome = try #require(FuzzHarness.run(target: input.target, input.bytes))
        #expect(outcome.isAcceptable, "\(outcome)")
        if case .refused(let reason) = outcome {
            #expect(!reason.isEmpty, "a refusal must say what was wrong")
        }
    }

    @Test("an input that once crashed a decoder ends in a value or a clear refusal", arguments: savedInputs(kind: "regressions"))
    func regressionInput(_ input: SavedInput) throws {
        let outcome = try #require(FuzzHarness.run(target: input.target, input.bytes))
        #expect(outcome.isAcceptable, "\(outcome)")
        if case .refused(let reason) = outcome {
            #expect(!reason.isEmpty, "a refusal must say what was wrong")
        }
    }

    @Test("hostile shapes are refused, not crashed on", arguments: [
        ("FuzzBridgeFrames", [UInt8](repeating: 0xFF, count: 9)),
        ("FuzzXMPPStream", Array("\u{0}<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>".utf8)),
        ("FuzzOSCAR", [0x00, 0x2A, 0x09, 0x00, 0x01, 0xFF, 0xFF]),
        ("FuzzTwilioWebhook", [0x00, 0x25, 0xFF, 0x3D, 0x25]),
        ("FuzzConfig", [0xC3, 0x28, 0x3D, 0x00]),
        ("FuzzTimeZone", Array("TZif2".utf8) + [0xFF, 0xFF, 0xFF, 0xFF]),
        ("FuzzOperatorCommands", Array("!logout ".utf8) + [0xFF, 0xFE, 0x00]),
    ])
    func hostileShape(target: String, bytes: [UInt8]) throws {
        let outcome = try #require(FuzzHarness.run(target: target, bytes))
        guard case .refused(let reason) = outcome else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(!reason.isEmpty)
    }
}
