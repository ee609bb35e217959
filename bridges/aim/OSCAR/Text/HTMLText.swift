/// Turns the HTML of an incoming IM into the plain text a librarian reads.
///
/// AIM clients send `<HTML><BODY><FONT …>text</FONT></BODY></HTML>` with HTML's character references (`&eacute;`,
/// `&#233;`, `&hellip;`), so the text is read as HTML: tags are dropped (`<br>` and closing paragraphs become line
/// breaks, a link keeps its address), and every character reference of the HTML standard is decoded.
public enum HTMLText {
    /// The plain text of `html`.
    ///
    /// A `<` starts a tag only when a letter, `/` or `!` follows and a `>` closes it before the next `<`;
    /// otherwise it is text, so plain messages such as "a <3 b" from non-HTML clients survive. A link whose text
    /// is not its own address is written `text (address)`, so the librarian sees where it points.
    public static func plainText(fromHTML html: String) -> String {
        let scalars = Array(html.unicodeScalars)
        var output = String.UnicodeScalarView()
        var link: (target: String, textStart: Int)?
        var written = 0
        var index = 0
        func append<S: Sequence<Unicode.Scalar>>(_ text: S) {
            for scalar in text {
                output.append(scalar)
                written += 1
            }
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<", let end = tagEnd(in: scalars, from: index) {
                let tag = Tag(scalars[(index + 1)..<end])
                switch (tag.name, tag.isClosing) {
                case ("br", _), ("p", true), ("div", true):
                    append("\n".unicodeScalars)
                case ("a", false):
                    link = tag.attribute("href").map { (decodeCharacterReferences(inAttribute: $0), written) }
                case ("a", true):
                    if let open = link {
                        let text = String(String.UnicodeScalarView(output.suffix(written - open.textStart)))
                        if !open.target.isEmpty, !linkText(text, names: open.target) {
                            append((text.isEmpty ? open.target : " (\(open.target))").unicodeScalars)
                        }
                    }
                    link = nil
                default:
                    break
                }
                index = end + 1
            } else if scalar == "&", let (decoded, next) = characterReference(in: scalars, at: index) {
                append(decoded)
                index = next
            } else {
                append(CollectionOfOne(scalar))
                index += 1
            }
        }
        return String(output)
    }

    /// An attribute value (a link's address) with its character references decoded as HTML decodes them there:
    /// a name without its `;` followed by `=` or a letter or digit stays as written (`?a=1&lt=2` is not `<=2`).
    public static func decodeCharacterReferences(inAttribute text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if scalars[index] == "&", let (decoded, next) = characterReference(in: scalars, at: index, inAttribute: true) {
                output.append(contentsOf: decoded)
                index = next
            } else {
                output.append(scalars[index])
                index += 1
            }
        }
        return String(output)
    }

    // MARK: - Tags

    /// The index of the `>` that closes the tag opening at `start`, outside quoted attribute values; nil when the
    /// `<` is text.
    private static func tagEnd(in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        let nameStart = start + 1
        guard nameStart < scalars.count else { return nil }
        let first = scalars[nameStart]
        guard first.properties.isAlphabetic || first == "/" || first == "!" else { return nil }
        var quote: Unicode.Scalar?
        var index = nameStart
        while index < scalars.count {
            let scalar = scalars[index]
            if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == ">" {
                return index
            } else if scalar == "<" {
                return nil
            }
            index += 1
        }
        return nil
    }

    /// A tag's name (lower-cased) and attributes, read leniently as browsers do.
    private struct Tag {
        var name = ""
        var isClosing = false
        private var attributes: [(String, String)] = []

        init(_ scalars: ArraySlice<Unicode.Scalar>) {
            var index = scalars.startIndex
            if index < scalars.endIndex, scalars[index] == "/" {
                isClosing = true
                index += 1
            }
            var name = String.UnicodeScalarView()
            while index < scalars.endIndex, scalars[index].properties.isAlphabetic || ("0"..."9").contains(scalars[index]) {
                name.append(scalars[index])
                index += 1
            }
            self.name = String(name).lowercased()
            while index < scalars.endIndex {
                while index < scalars.endIndex, scalars[index].properties.isWhitespace || scalars[index] == "/" { index += 1 }
                var key = String.UnicodeScalarView()
                while index < scalars.endIndex, !scalars[index].properties.isWhitespace, scalars[index] != "=", scalars[index] != "/" {
                    key.append(scalars[index])
                    index += 1
                }
                while index < scalars.endIndex, scalars[index].properties.isWhitespace { index += 1 }
                var value = String.UnicodeScalarView()
                if index < scalars.endIndex, scalars[index] == "=" {
                    index += 1
                    while index < scalars.endIndex, scalars[index].properties.isWhitespace { index += 1 }
                    if index < scalars.endIndex, scalars[index] == "\"" || scalars[index] == "'" {
                        let quote = scalars[index]
                        index += 1
                        while index < scalars.endIndex, scalars[index] != quote {
                            value.append(scalars[index])
                            index += 1
                        }
                        index += 1
                    } else {
                        while index < scalars.endIndex, !scalars[index].properties.isWhitespace {
                            value.append(scalars[index])
                            index += 1
                        }
                    }
                }
                if !key.isEmpty { attributes.append((String(key).lowercased(), String(value))) }
            }
        }

        func attribute(_ key: String) -> String? {
            attributes.first { $0.0 == key }?.1
        }
    }

    /// Whether a link's text already shows its target (`example.org` for `http://example.org/`), so repeating the
    /// address would only add noise.
    private static func linkText(_ text: String, names target: String) -> Bool {
        func bare(_ address: String) -> String {
            var value = Substring(address.lowercased())
            for scheme in ["https://", "http://", "mailto:"] where value.hasPrefix(scheme) {
                value = value.dropFirst(scheme.count)
            }
            while value.hasSuffix("/") { value = value.dropLast() }
            return String(value)
        }
        return bare(text.trimmingWhitespace) == bare(target)
    }

    // MARK: - Character references

    /// Decodes the character reference starting at `start` (an `&`) as HTML does in text: numeric forms
    /// (`&#233;`, `&#xE9;`, the `;` optional) and the longest named reference of the standard that the input
    /// starts with (names that may stand without `;`, such as `&copy`, included). Returns what it stands for and
    /// the index after it, or nil when the `&` is text.
    static func characterReference(in scalars: [Unicode.Scalar], at start: Int, inAttribute: Bool = false) -> ([Unicode.Scalar], Int)? {
        var index = start + 1
        guard index < scalars.count else { return nil }
        if scalars[index] == "#" {
            index += 1
            var radix: UInt32 = 10
            if index < scalars.count, scalars[index] == "x" || scalars[index] == "X" {
                radix = 16
                index += 1
            }
            var value: UInt32 = 0
            var digits = 0
            while index < scalars.count, let digit = digitValue(scalars[index], radix: radix) {
                value = min(value * radix + digit, 0x11_0000)
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if index < scalars.count, scalars[index] == ";" { index += 1 }
            return ([numericReference(value)], index)
        }
        var end = index
        while end < scalars.count, end - index < HTMLEntityTable.longestName, scalars[end].isASCII,
            scalars[end].properties.isAlphabetic || ("0"..."9").contains(scalars[end])
        {
            end += 1
        }
        if end < scalars.count, scalars[end] == ";", end - index < HTMLEntityTable.longestName { end += 1 }
        var length = end - index
        while length > 0 {
            let name = String(String.UnicodeScalarView(scalars[index..<(index + length)]))
            if let decoded = HTMLEntities.named[name] {
                let end = index + length
                if inAttribute, scalars[end - 1] != ";", end < scalars.count,
                    scalars[end] == "=" || (scalars[end].isASCII && (scalars[end].properties.isAlphabetic || ("0"..."9").contains(scalars[end])))
                {
                    return nil
                }
                return (decoded, end)
            }
            length -= 1
        }
        return nil
    }

    private static func digitValue(_ scalar: Unicode.Scalar, radix: UInt32) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 0x30
        case "a"..."f" where radix == 16: scalar.value - 0x61 + 10
        case "A"..."F" where radix == 16: scalar.value - 0x41 + 10
        default: nil
        }
    }

    /// What a numeric reference stands for, with HTML's replacements: NUL, surrogates and values beyond Unicode
    /// become U+FFFD, and 0x80–0x9F are read as Windows-1252 (as the text was most likely typed).
    private static func numericReference(_ value: UInt32) -> Unicode.Scalar {
        if let windows = HTMLEntities.windows1252[value] { return windows }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
        return scalar
    }
}

/// HTML's named character references and its numeric-reference replacements, read once from the generated table.
enum HTMLEntities {
    /// Name (after `&`, with its `;` where it has one) → the code points it stands for.
    static let named: [String: [Unicode.Scalar]] = {
        var table: [String: [Unicode.Scalar]] = [:]
        table.reserveCapacity(2300)
        for line in HTMLEntityTable.lines.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let name = fields.first else { continue }
            let scalars = fields.dropFirst().compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            table[String(name)] = scalars
        }
        return table
    }()

    /// The numeric references 0x80–0x9F that HTML reads as Windows-1252 (the five it leaves unassigned stay as
    /// they are).
    static let windows1252: [UInt32: Unicode.Scalar] = [
        0x80: "\u{20AC}", 0x82: "\u{201A}", 0x83: "\u{0192}", 0x84: "\u{201E}", 0x85: "\u{2026}", 0x86: "\u{2020}",
        0x87: "\u{2021}", 0x88: "\u{02C6}", 0x89: "\u{2030}", 0x8A: "\u{0160}", 0x8B: "\u{2039}", 0x8C: "\u{0152}",
        0x8E: "\u{017D}", 0x91: "\u{2018}", 0x92: "\u{2019}", 0x93: "\u{201C}", 0x94: "\u{201D}", 0x95: "\u{2022}",
        0x96: "\u{2013}", 0x97: "\u{2014}", 0x98: "\u{02DC}", 0x99: "\u{2122}", 0x9A: "\u{0161}", 0x9B: "\u{203A}",
        0x9C: "\u{0153}", 0x9E: "\u{017E}", 0x9F: "\u{0178}",
    ]
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    var trimmingWhitespace: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
