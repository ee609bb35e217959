import FoundationEssentials
import RefdeskCore
import Testing

@testable import RouterService

/// An open conversation is saved as JSON with its recent lines written directly (not through `JSONEncoder`), and
/// it must read back exactly as the `Codable` form does: a restart loads what was saved, whatever the lines hold.
@Suite("Saved conversations")
struct PersistedConversationTests {
    static let awkward = [
        "plain", "", "\"quoted\" and \\backslashed\\", "line\nbreak\r\ttab", "\u{0}\u{1}\u{1F}\u{7F}",
        "é, 日本語, 🙂, e\u{301}", "</script> & <b>", "a/b", String(repeating: "long ", count: 400),
    ]

    @Test("every kind of line reads back the same, and as JSONEncoder's own form does")
    func roundTrip() throws {
        let conversation = Conversation(
            id: 7, queue: "ask", patron: PatronID(gatewayID: 2, address: "+15551230000"), operator: "alice",
            startedAt: Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
        var lines: [TranscriptLine] = []
        for (n, text) in Self.awkward.enumerated() {
            lines.append(TranscriptLine(speaker: .patron, text: text, at: Timestamp(millisecondsSinceEpoch: Int64(n))))
            lines.append(TranscriptLine(speaker: .operator(OperatorName(text.isEmpty ? "bob" : text)), text: text,
                                        at: Timestamp(millisecondsSinceEpoch: -Int64(n) * 1_000_003)))
        }
        for count in [0, 1, lines.count] {
            let saved = PersistedConversation(conversation: conversation, recentLines: Array(lines.prefix(count)))
            let written = try saved.encoded(with: JSONEncoder())
            let read = try JSONDecoder().decode(PersistedConversation.self, from: Data(written))
            let viaCodable = try JSONDecoder().decode(PersistedConversation.self, from: JSONEncoder().encode(saved))
            #expect(read.conversation == conversation)
            #expect(read.recentLines == saved.recentLines)
            #expect(viaCodable.recentLines == read.recentLines)
        }
    }
}
