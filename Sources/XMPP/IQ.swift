/// An `<iq>` stanza (RFC 6120 §8.2.3). The router serves almost none, but every `get` and `set`
/// must be answered, or the sender waits forever; `errorReply` produces that answer.
public struct IQ: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case get, set, result, error
    }

    public var from: JID?
    public var to: JID?
    public var id: String
    public var type: Kind
    /// The first child element: the query being asked (for get/set) or answered.
    public var payload: XMLElement?

    public init(from: JID?, to: JID?, id: String, type: Kind, payload: XMLElement? = nil) {
        self.from = from
        self.to = to
        self.id = id
        self.type = type
        self.payload = payload
    }

    /// Reads a received `<iq>`; `id` and a known `type` are mandatory.
    public init(element: XMLElement) throws(StanzaParseError) {
        guard element.name == "iq" else { throw .missing("an <iq> element (got <\(element.name)>)") }
        from = try element.jidAttribute("from")
        to = try element.jidAttribute("to")
        guard let id = element[attribute: "id"] else { throw .missing("the iq 'id' attribute") }
        self.id = id
        guard let rawType = element[attribute: "type"] else { throw .missing("the iq 'type' attribute") }
        guard let kind = Kind(rawValue: rawType) else { throw .invalidValue(field: "type", value: rawType) }
        type = kind
        payload = element.elements.first
    }

    public var element: XMLElement {
        var element = XMLElement.stanza("iq", from: from, to: to, id: id, type: type.rawValue)
        if let payload { element.append(payload) }
        return element
    }

    /// Whether this iq expects an answer (get/set). Results and errors are never answered, so two
    /// entities cannot bounce errors at each other.
    public var expectsReply: Bool {
        type == .get || type == .set
    }

    /// The error reply to this request: addresses swapped, same id, `<error type='cancel'>` with
    /// the condition (`service-unavailable` by default, RFC 6120 §8.3.3.19). Nil for results and
    /// errors, which must not be answered.
    public func errorReply(condition: String = "service-unavailable", errorType: String = "cancel") -> IQ? {
        guard expectsReply else { return nil }
        var error = XMLElement(name: "error", namespace: XMPPNamespace.component, attributes: ["type": errorType])
        error.append(XMLElement(name: condition, namespace: XMPPNamespace.stanzaErrors))
        return IQ(from: to, to: from, id: id, type: .error, payload: error)
    }
}
