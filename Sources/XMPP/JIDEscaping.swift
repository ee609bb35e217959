/// XEP-0106 JID escaping: how a foreign address becomes a JID localpart and back.
///
/// Patrons arrive as phone numbers and AIM screen names; AIM names may contain spaces and email
/// addresses contain `@`, which a localpart cannot. Each of the ten characters below is written
/// as a backslash and two lowercase hex digits. A backslash is escaped only when it would
/// otherwise be read as the start of one of these sequences, so `c:\net` stays readable.
public enum JIDEscaping {
    /// Character → escape sequence (without the backslash).
    static let escapes: [Character: String] = [
        " ": "20", "\"": "22", "&": "26", "'": "27", "/": "2f",
        ":": "3a", "<": "3c", ">": "3e", "@": "40", "\\": "5c",
    ]

    /// Escape sequence (hex) → character.
    static let unescapes: [String: Character] = Dictionary(uniqueKeysWithValues: escapes.map { ($1, $0) })

    /// Escapes a raw name for use as a JID node (`patron@aol.com` → `patron\40aol.com`).
    public static func escape(_ raw: String) throws(JIDError) -> String {
        guard !raw.isEmpty else { throw .emptyPart(.node) }
        guard raw.first != " ", raw.last != " " else { throw .spaceAtNodeEdge }
        let characters = Array(raw)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character == "\\" {
                result += startsEscapeSequence(characters, at: index + 1) ? "\\5c" : "\\"
            } else if let code = escapes[character] {
                result += "\\" + code
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Undoes the escaping of a JID node (`patron\40aol.com` → `patron@aol.com`). Backslashes not
    /// followed by one of the ten sequences are kept as they are.
    public static func unescape(_ node: String) -> String {
        let characters = Array(node)
        var result = ""
        var index = 0
        while index < characters.count {
            if characters[index] == "\\", startsEscapeSequence(characters, at: index + 1),
               let character = unescapes[String(characters[(index + 1)...(index + 2)])] {
                result.append(character)
                index += 3
            } else {
                result.append(characters[index])
                index += 1
            }
        }
        return result
    }

    /// Whether the two characters at `index` form one of the ten escape codes.
    private static func startsEscapeSequence(_ characters: [Character], at index: Int) -> Bool {
        guard index + 1 < characters.count else { return false }
        return unescapes[String(characters[index...(index + 1)])] != nil
    }
}
