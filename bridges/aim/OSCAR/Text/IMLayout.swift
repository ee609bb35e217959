/// Lays reply text out as IMs the server accepts: each IM's text (its HTML, in the charset it is sent in) at most
/// the server's maximum message length, from the ICBM parameters (0x04/0x05; 512 bytes on AIM servers).
///
/// Long text is split between words, so a patron reads whole words in each IM; only a word longer than a whole
/// IM (a long address) is cut inside. Short lines can be joined into one IM, with line breaks between them, while
/// the result still fits.
public struct IMLayout: Sendable, Hashable {
    /// The largest message text one IM may carry, in bytes.
    public let maximumTextBytes: Int

    /// A limit below this is raised to it: the HTML wrapper alone takes 26 bytes (52 in UCS-2), and an IM must
    /// have room for text.
    public static let smallestLimit = 128
    /// The limit AIM servers announce, used until the server's own arrives.
    public static let standard = IMLayout(maximumTextBytes: 512)

    public init(maximumTextBytes: Int) {
        self.maximumTextBytes = max(maximumTextBytes, Self.smallestLimit)
    }

    /// The bytes `text` takes as IM text: its HTML in ASCII, or in UCS-2 when it needs more than ASCII.
    public static func encodedSize(of text: String) -> Int {
        let html = AIMMarkup.html(fromPlainText: text)
        return html.utf8.allSatisfy { $0 < 0x80 } ? html.utf8.count : html.utf16.count * 2
    }

    /// Whether `text` fits in one IM.
    public func fits(_ text: String) -> Bool {
        Self.encodedSize(of: text) <= maximumTextBytes
    }

    /// `lines` joined into one IM with a line break between each, if they fit.
    public func joined(_ lines: [String]) -> String? {
        let text = lines.joined(separator: "\n")
        return fits(text) ? text : nil
    }

    /// `text` in pieces that each fit in one IM, in order, broken between words (the blanks at a break are
    /// dropped); a word too long for an IM of its own is cut between characters.
    public func pieces(of text: String) -> [String] {
        if fits(text) { return [text] }
        let words = Self.words(of: text)
        var pieces: [String] = []
        var first = 0
        var carried: Substring?  // what is left of a word that was cut
        while first < words.count || carried != nil {
            if let rest = carried {
                let (piece, remainder) = cut(rest)
                if let remainder {
                    pieces.append(String(piece))
                    carried = remainder
                    continue
                }
                // The rest of the cut word starts the next piece, with as many words after it as fit.
                carried = nil
                let count = largestFitting(from: first, count: words.count - first) { String(rest) + Self.text(of: words, first, $0, leading: true) }
                pieces.append(String(rest) + Self.text(of: words, first, count, leading: true))
                first += count
                continue
            }
            let count = largestFitting(from: first, count: words.count - first) { Self.text(of: words, first, $0, leading: false) }
            if count == 0 {
                carried = words[first].word
                first += 1
                continue
            }
            pieces.append(Self.text(of: words, first, count, leading: false))
            first += count
        }
        return pieces
    }

    /// The most words from `first` (0 up to `count`) whose text, built by `build`, still fits: a binary search,
    /// since text only grows with more words.
    private func largestFitting(from first: Int, count: Int, _ build: (Int) -> String) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high + 1) / 2
            if fits(build(middle)) { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Cuts the longest start of `word` that fits (at least one character, so the layout always ends); the rest
    /// is nil when the whole word fits.
    private func cut(_ word: Substring) -> (Substring, Substring?) {
        if fits(String(word)) { return (word, nil) }
        let characters = Array(word)
        var low = 1
        var high = characters.count
        while low < high {
            let middle = (low + high + 1) / 2
            if fits(String(characters[0..<middle])) { low = middle } else { high = middle - 1 }
        }
        let cutAt = word.index(word.startIndex, offsetBy: low)
        return (word[..<cutAt], word[cutAt...])
    }

    private struct Word {
        /// The blanks before the word (kept inside a piece, dropped at a break).
        var before: Substring
        var word: Substring
    }

    private static func words(of text: String) -> [Word] {
        var words: [Word] = []
        var index = text.startIndex
        while index < text.endIndex {
            let blankStart = index
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
            let wordStart = index
            while index < text.endIndex, !text[index].isWhitespace { index = text.index(after: index) }
            if wordStart < index || words.isEmpty {
                words.append(Word(before: text[blankStart..<wordStart], word: text[wordStart..<index]))
            }
        }
        return words
    }

    /// `count` words from `first` as written; the first one's blanks are kept only when `leading` (it continues
    /// a piece) or when it opens the text.
    private static func text(of words: [Word], _ first: Int, _ count: Int, leading: Bool) -> String {
        guard count > 0 else { return "" }
        var text = ""
        for index in first..<(first + count) {
            if index > first || leading || index == 0 { text += words[index].before }
            text += words[index].word
        }
        return text
    }
}
