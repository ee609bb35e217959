/// The HTML an AIM client sends for plain text, so a reply displays in the patron's client as typed.
///
/// AIM clients render every IM as HTML: text that is not marked up loses its line breaks, and a librarian's
/// `<b>` would turn bold. So replies go out as AIM clients write them: wrapped in `<HTML><BODY>`, with `&`, `<`,
/// `>` and `"` escaped, line breaks as `<BR>`, and web addresses as links (`<A HREF="…">…</A>`), which AIM
/// clients make clickable.
public enum AIMMarkup {
    static let opening = "<HTML><BODY>"
    static let closing = "</BODY></HTML>"

    /// The complete message text for `text`.
    public static func html(fromPlainText text: String) -> String {
        var output = opening
        output.reserveCapacity(text.utf8.count + 32)
        var index = text.startIndex
        var wordStart = index
        func flushWord(upTo end: String.Index) {
            if wordStart < end { appendWord(text[wordStart..<end], to: &output) }
        }
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace {
                flushWord(upTo: index)
                if character.isNewline {
                    output += "<BR>"
                } else {
                    output.append(character)
                }
                index = text.index(after: index)
                wordStart = index
            } else {
                index = text.index(after: index)
            }
        }
        flushWord(upTo: text.endIndex)
        output += closing
        return output
    }

    /// Appends one run of non-blank text: escaped, with a web address in it made a link.
    private static func appendWord(_ word: Substring, to output: inout String) {
        guard let link = link(in: word) else {
            output += escaped(word)
            return
        }
        output += escaped(word[..<link.range.lowerBound])
        output += "<A HREF=\"" + escaped(link.target) + "\">" + escaped(word[link.range]) + "</A>"
        output += escaped(word[link.range.upperBound...])
    }

    /// A web address in `word`: starting with `http://`, `https://` or `www.` after any opening brackets or
    /// quotes, and ending before trailing punctuation (a closing bracket stays when the address opened one).
    static func link(in word: Substring) -> (range: Range<String.Index>, target: String)? {
        var start = word.startIndex
        while start < word.endIndex, "([{<\"'".contains(word[start]) { start = word.index(after: start) }
        let rest = word[start...]
        let lowered = rest.lowercased()
        let isWeb = lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
        let isBare = lowered.hasPrefix("www.")
        guard isWeb || isBare else { return nil }
        var end = word.endIndex
        while end > start {
            let last = word[word.index(before: end)]
            let candidate = word[start..<word.index(before: end)]
            if ".,;:!?'\"".contains(last) {
                end = word.index(before: end)
            } else if last == ")", candidate.filter({ $0 == "(" }).count <= candidate.filter({ $0 == ")" }).count {
                end = word.index(before: end)
            } else if last == "]" || last == "}" || last == ">" {
                end = word.index(before: end)
            } else {
                break
            }
        }
        let address = word[start..<end]
        // Something must follow the scheme or `www.` for it to be an address.
        let schemeLength = lowered.hasPrefix("https://") ? 8 : lowered.hasPrefix("http://") ? 7 : 4
        guard address.count > schemeLength else { return nil }
        return (start..<end, isBare ? "http://" + address : String(address))
    }

    private static func escaped(_ text: some StringProtocol) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            default: output.append(character)
            }
        }
        return output
    }
}
