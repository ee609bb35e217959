/// Writing elements back out as XML text.
///
/// The router builds stanzas from patron text (SMS, AIM) that can hold anything, so escaping is
/// total: `&<>"'` are always escaped, carriage returns, tabs and newlines in attributes become
/// character references (so attribute-value normalisation cannot change them), and characters
/// XML 1.0 cannot carry at all (most C0 controls, unpaired surrogates cannot occur in Swift
/// strings, U+FFFE/U+FFFF) are replaced with U+FFFD rather than producing a stream the server
/// would close.
extension XMLElement {
    /// The element as XML text.
    ///
    /// - Parameters:
    ///   - defaultNamespace: the default namespace in force where the text will be written. Inside
    ///     a component stream that is `jabber:component:accept`, so stanzas need no `xmlns` of
    ///     their own; written standalone it is empty and the element declares its namespace.
    ///   - prefixes: prefixes already declared where the text will be written, prefix → URI, e.g.
    ///     `["stream": "http://etherx.jabber.org/streams"]` inside a stream, so `<stream:error>`
    ///     keeps its customary form.
    public func serialized(defaultNamespace: String = "", prefixes: [String: String] = [:]) -> String {
        var output = ""
        write(to: &output, defaultNamespace: defaultNamespace, prefixes: prefixes)
        return output
    }

    /// The element as UTF-8 bytes inside a component stream (default namespace
    /// `jabber:component:accept`, `stream:` prefix declared), ready to send.
    public var streamBytes: [UInt8] {
        Array(serialized(defaultNamespace: XMPPNamespace.component, prefixes: ["stream": XMPPNamespace.streams]).utf8)
    }

    private func write(to output: inout String, defaultNamespace: String, prefixes: [String: String]) {
        var childDefault = defaultNamespace
        var declarations: [(String, String)] = []
        var qualifiedName = name
        if namespace != defaultNamespace {
            if let prefix = prefixes.first(where: { $0.value == namespace && !namespace.isEmpty })?.key {
                qualifiedName = prefix + ":" + name
            } else {
                declarations.append(("xmlns", namespace))
                childDefault = namespace
            }
        }
        output += "<" + qualifiedName
        for (key, value) in declarations {
            output += " " + key + "='" + XMLEscaping.escapeAttribute(value) + "'"
        }
        var generated = 0
        for key in attributes.keys.sorted() {
            let value = attributes[key] ?? ""
            if key.hasPrefix("{"), let close = key.firstIndex(of: "}") {
                let uri = String(key[key.index(after: key.startIndex)..<close])
                let local = String(key[key.index(after: close)...])
                generated += 1
                let prefix = "ns\(generated)"
                output += " xmlns:" + prefix + "='" + XMLEscaping.escapeAttribute(uri) + "'"
                output += " " + prefix + ":" + local + "='" + XMLEscaping.escapeAttribute(value) + "'"
            } else {
                output += " " + key + "='" + XMLEscaping.escapeAttribute(value) + "'"
            }
        }
        if children.isEmpty {
            output += "/>"
            return
        }
        output += ">"
        for child in children {
            switch child {
            case .text(let text):
                output += XMLEscaping.escapeText(text)
            case .element(let element):
                element.write(to: &output, defaultNamespace: childDefault, prefixes: prefixes)
            }
        }
        output += "</" + qualifiedName + ">"
    }
}

/// Escaping rules shared by the serialiser and the stream header builder.
enum XMLEscaping {
    /// Escapes character data. `>` is escaped too so `]]>` can never appear.
    static func escapeText(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\r": result += "&#xD;"
            default: result.unicodeScalars.append(allowedInXML(scalar) ? scalar : replacement)
            }
        }
        return result
    }

    /// Escapes an attribute value for either quote style.
    static func escapeAttribute(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\r": result += "&#xD;"
            case "\n": result += "&#xA;"
            case "\t": result += "&#x9;"
            default: result.unicodeScalars.append(allowedInXML(scalar) ? scalar : replacement)
            }
        }
        return result
    }

    private static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// The XML 1.0 `Char` production.
    static func allowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: return true
        case 0x20...0xD7FF: return true
        case 0xE000...0xFFFD: return true
        case 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}
