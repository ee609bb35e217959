import Testing
import TwilioGateway

@Suite("SMS segment counting")
struct SegmentCountTests {
    @Test("segment counts", arguments: [
        ("", SMSEncoding.gsm7, 0, 1),
        ("Hello", .gsm7, 5, 1),
        (String(repeating: "a", count: 160), .gsm7, 160, 1),
        (String(repeating: "a", count: 161), .gsm7, 161, 2),
        (String(repeating: "a", count: 306), .gsm7, 306, 2),
        (String(repeating: "a", count: 307), .gsm7, 307, 3),
        (String(repeating: "€", count: 80), .gsm7, 160, 1),
        (String(repeating: "{", count: 81), .gsm7, 162, 2),
        ("Ça coûte 5€ à Zürich", .ucs2, 20, 1),
        ("Ça va à Zürich? Ñu £5 @ΔΩ", .gsm7, 25, 1),
        ("Ñandú", .ucs2, 5, 1),
        (String(repeating: "é", count: 200), .gsm7, 200, 2),
        (String(repeating: "ж", count: 70), .ucs2, 70, 1),
        (String(repeating: "ж", count: 71), .ucs2, 71, 2),
        (String(repeating: "ж", count: 134), .ucs2, 134, 2),
        (String(repeating: "ж", count: 135), .ucs2, 135, 3),
        (String(repeating: "👋", count: 35), .ucs2, 70, 1),
        ("a`b", .ucs2, 3, 1),
    ] as [(String, SMSEncoding, Int, Int)])
    func counts(text: String, encoding: SMSEncoding, units: Int, segments: Int) {
        let count = SegmentCount(text)
        #expect(count.encoding == encoding)
        #expect(count.units == units)
        #expect(count.segments == segments)
    }

    @Test("a two-septet character is never split across segments")
    func escapeNotSplit() {
        // 152 plain characters then '€': 154 septets do not fit in a 153-septet part with the escape split.
        let text = String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 10)
        #expect(SegmentCount(text).units == 164)
        #expect(SegmentCount(text).segments == 2)
        let tight = String(repeating: "a", count: 152) + "€" + String(repeating: "a", count: 152)
        // 152 + (2 does not fit: new part) 2 + 152 = 154 > 153 → third part.
        #expect(SegmentCount(tight).segments == 3)
    }

    @Test("a surrogate pair is never split across UCS-2 segments")
    func surrogateNotSplit() {
        let text = String(repeating: "ж", count: 66) + "👋" + String(repeating: "ж", count: 10)
        #expect(SegmentCount(text).segments == 2)
        let tight = String(repeating: "ж", count: 66) + "👋" + String(repeating: "ж", count: 66)
        #expect(SegmentCount(tight).segments == 3)
    }
}

@Suite("Splitting long replies")
struct SegmentSplitterTests {
    static func words(_ parts: [String]) -> [Substring] {
        parts.flatMap { $0.split(whereSeparator: \.isWhitespace) }
    }

    @Test("a body within the limit is returned unchanged", arguments: ["", "short", String(repeating: "x ", count: 800)])
    func unchanged(body: String) {
        #expect(SegmentSplitter.split(body) == [body])
    }

    @Test("a long body is cut at word boundaries, in order, within the limit", arguments: [1600, 100, 17, 5])
    func cutAtWords(limit: Int) {
        let body = (1...700).map { "word\($0)" }.joined(separator: " ")
        let parts = SegmentSplitter.split(body, limit: limit)
        #expect(parts.count > 1)
        #expect(parts.allSatisfy { SegmentSplitter.length(of: $0) <= limit })
        let expectedWords = body.split(separator: " ")
        if limit >= 8 {
            #expect(Self.words(parts) == expectedWords)
        }
        #expect(parts.joined() .filter { !$0.isWhitespace } == body.filter { !$0.isWhitespace })
    }

    @Test("the split uses the room: a part ends at the last word that fits")
    func greedy() {
        #expect(SegmentSplitter.split("aaa bbb ccc ddd", limit: 8) == ["aaa bbb", "ccc ddd"])
        #expect(SegmentSplitter.split("aaa bbb ccc ddd", limit: 7) == ["aaa bbb", "ccc ddd"])
        #expect(SegmentSplitter.split("aaa bbb ccc ddd", limit: 6) == ["aaa", "bbb", "ccc", "ddd"])
        #expect(SegmentSplitter.split("aaa\n\nbbb   ccc", limit: 8) == ["aaa\n\nbbb", "ccc"])
        #expect(SegmentSplitter.split("aaa\n\nbbb   ccc", limit: 7) == ["aaa", "bbb", "ccc"])
    }

    @Test("only a word longer than a whole part is cut inside")
    func longWord() {
        let url = "https://catalog.example.org/" + String(repeating: "x", count: 40)
        let parts = SegmentSplitter.split("See " + url + " now", limit: 20)
        #expect(parts == ["See", "https://catalog.exam", "ple.org/xxxxxxxxxxxx", "xxxxxxxxxxxxxxxxxxxx", "xxxxxxxx now"])
    }

    @Test("grapheme clusters are never broken", arguments: [
        "👨‍👩‍👧‍👦", "🇫🇷", "é", "e\u{301}", "👍🏽",
    ])
    func graphemes(cluster: String) {
        let body = String(repeating: cluster, count: 300)
        let limit = 2 * SegmentSplitter.length(of: cluster) + 1
        let parts = SegmentSplitter.split(body, limit: limit)
        #expect(parts.allSatisfy { SegmentSplitter.length(of: $0) <= limit })
        #expect(parts.allSatisfy { $0.allSatisfy { String($0) == cluster } })
        #expect(parts.joined() == body)
    }

    @Test("a realistic 4,000-character answer fits Twilio's limit in three parts")
    func realistic() {
        let sentence = "The book you asked about is available at the Central branch, call number 813.54 LEG. "
        let body = String(repeating: sentence, count: 4000 / sentence.count + 1)
        let parts = SegmentSplitter.split(body)
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { SegmentSplitter.length(of: $0) <= SegmentSplitter.maximumBodyLength })
        #expect(Self.words(parts) == body.split(whereSeparator: \.isWhitespace))
    }
}
