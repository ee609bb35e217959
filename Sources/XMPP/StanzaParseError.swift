/// Why a stanza could not be read into a typed value. The stanza is still well-formed XML; the
/// router answers or drops it, the stream carries on.
public enum StanzaParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `from` or `to` is not a valid JID.
    case invalidAddress(attribute: String, value: String, reason: JIDError)
    /// An attribute or child required by RFC 6120/6121 is absent (e.g. an iq without `id`).
    case missing(String)
    /// A value outside the set the RFC allows (e.g. `<show>busy</show>`).
    case invalidValue(field: String, value: String)

    public var description: String {
        switch self {
        case .invalidAddress(let attribute, let value, let reason):
            return "stanza '\(attribute)' address '\(value)' is invalid: \(reason)"
        case .missing(let what):
            return "stanza is missing \(what)"
        case .invalidValue(let field, let value):
            return "stanza \(field) has the invalid value '\(value)'"
        }
    }
}

extension XMLElement {
    /// Reads an optional JID attribute, refusing a malformed one.
    func jidAttribute(_ name: String) throws(StanzaParseError) -> JID? {
        guard let value = attributes[name] else { return nil }
        do {
            return try JID(value)
        } catch {
            throw .invalidAddress(attribute: name, value: value, reason: error)
        }
    }

    /// A new stanza in the component namespace with the usual addressing attributes.
    static func stanza(_ name: String, from: JID?, to: JID?, id: String?, type: String?) -> XMLElement {
        var element = XMLElement(name: name, namespace: XMPPNamespace.component)
        element[attribute: "from"] = from?.description
        element[attribute: "to"] = to?.description
        element[attribute: "id"] = id
        element[attribute: "type"] = type
        return element
    }
}
