/// Conversion between AIM's HTML-flavoured message text and plain text.
///
/// AIM clients wrap messages in `<HTML><BODY><FONT …>` and escape `&`, `<` and `>`. XMPP
/// wants plain text, so incoming text is stripped of tags and unescaped, and outgoing text is
/// escaped so that a patron who types `<b>` sees exactly that.
public enum HTMLText {
    /// Removes tags, turns `<br>` (and closing paragraphs) into newlines and decodes entities.
    ///
    /// A `<` starts a tag only when a letter, `/` or `!` follows and a `>` closes it;
    /// otherwise it is text, so plain messages such as "a <3 b" from non-HTML clients
    /// survive.
    public static func plainText(fromHTML html: String) -> String {
        let characters = Array(html)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "<", let end = tagEnd(in: characters, from: index) {
                let tag = String(characters[(index + 1)..<end])
                if let replacement = replacement(forTag: tag) {
                    output.append(replacement)
                }
                index = end + 1
            } else if character == "&", let (decoded, next) = entity(in: characters, from: index) {
                output.append(decoded)
                index = next
            } else {
                output.append(character)
                index += 1
            }
        }
        return output
    }

    /// Escapes `&`, `<` and `>`, and turns newlines into `<br>`, so the text displays
    /// literally in an HTML-rendering AIM client.
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\n", "\r\n", "\r": output += "<br>"
            default: output.append(character)
            }
        }
        return output
    }

    private static func tagEnd(in characters: [Character], from start: Int) -> Int? {
        let nameStart = start + 1
        guard nameStart < characters.count else { return nil }
        let first = characters[nameStart]
        guard first.isLetter || first == "/" || first == "!" else { return nil }
        var index = nameStart
        while index < characters.count {
            if characters[index] == ">" { return index }
            if characters[index] == "<" { return nil }
            index += 1
        }
        return nil
    }

    private static func replacement(forTag tag: String) -> String? {
        let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
        let isClosing = tag.hasPrefix("/")
        switch name {
        case "br": return "\n"
        case "p" where isClosing: return "\n"
        default: return nil
        }
    }

    private static let namedEntities: [String: Character] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
    ]

    /// Decodes the entity starting at `start` (an `&`), returning it and the index after `;`.
    private static func entity(in characters: [Character], from start: Int) -> (Character, Int)? {
        var index = start + 1
        var name = ""
        while index < characters.count, index - start <= 10 {
            let character = characters[index]
            if character == ";" {
                guard let decoded = decodeEntity(name) else { return nil }
                return (decoded, index + 1)
            }
            name.append(character)
            index += 1
        }
        return nil
    }

    private static func decodeEntity(_ name: String) -> Character? {
        if let named = namedEntities[name.lowercased()] { return named }
        guard name.hasPrefix("#") else { return nil }
        let digits = name.dropFirst()
        let value: UInt32?
        if digits.hasPrefix("x") || digits.hasPrefix("X") {
            value = UInt32(digits.dropFirst(), radix: 16)
        } else {
            value = UInt32(digits, radix: 10)
        }
        guard let value, let scalar = Unicode.Scalar(value) else { return nil }
        return Character(scalar)
    }
}
