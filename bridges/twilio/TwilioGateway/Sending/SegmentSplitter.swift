/// Splits a reply that is too long for one Twilio message into several.
///
/// Twilio refuses a `Body` over 1,600 characters (error 21617), and a librarian's answer
/// with a long list of links can exceed that. The parts are cut at white space so no word
/// is broken, and never inside a grapheme cluster, so an emoji or an accented letter
/// arrives whole; a word longer than a whole part is the only thing ever cut, between
/// two of its grapheme clusters.
public enum SegmentSplitter {
    /// Twilio's limit on the `Body` of one message.
    public static let maximumBodyLength = 1600

    /// The length Twilio's limit is checked against here: UTF-16 code units.
    ///
    /// That is how UCS-2 counts, and it is never less than the number of characters
    /// however they are counted, so a part within this length is within Twilio's limit.
    public static func length(of text: some StringProtocol) -> Int {
        text.utf16.count
    }

    /// The parts of `body`, in order, each at most `limit` long.
    ///
    /// White space at a cut is dropped (it would only waste room at the end or start of a
    /// part); all other text is kept. A body within the limit comes back unchanged as the
    /// only part. A single grapheme cluster longer than `limit` (only possible with a tiny
    /// limit) is kept whole in a part of its own rather than broken.
    public static func split(_ body: String, limit: Int = maximumBodyLength) -> [String] {
        guard length(of: body) > limit else { return [body] }
        let limit = max(1, limit)
        var parts: [String] = []
        var rest = body[...]
        while true {
            rest = rest.drop(while: \.isWhitespace)
            if rest.isEmpty { break }
            if length(of: rest) <= limit {
                parts.append(String(rest.trimmingWhitespace()))
                break
            }
            // The longest prefix of whole grapheme clusters that fits.
            var end = rest.startIndex
            var used = 0
            var lastSpaceStart: Substring.Index?
            while end < rest.endIndex {
                let character = rest[end]
                let width = character.utf16.count
                if used + width > limit { break }
                if character.isWhitespace {
                    if lastSpaceStart == nil || !rest[rest.index(before: end)].isWhitespace {
                        lastSpaceStart = end
                    }
                }
                used += width
                end = rest.index(after: end)
            }
            if end < rest.endIndex, rest[end].isWhitespace {
                // The window ends exactly at a word's end.
                lastSpaceStart = end
            }
            let cut: Substring.Index
            if let space = lastSpaceStart, space > rest.startIndex {
                cut = space
            } else if end > rest.startIndex {
                cut = end
            } else {
                cut = rest.index(after: rest.startIndex)
            }
            parts.append(String(rest[..<cut].trimmingWhitespace()))
            rest = rest[cut...]
        }
        return parts
    }
}
