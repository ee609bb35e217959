/// A stanza from the server sorted by kind, so the router can switch over it.
public enum IncomingStanza: Sendable, Hashable {
    case message(Message)
    case presence(Presence)
    case iq(IQ)
    /// Anything else at the top level of the stream (the router ignores it).
    case other(XMLElement)

    /// Sorts and reads a top-level element. Throws when a message, presence or iq in the component
    /// namespace is malformed (bad address, unknown type, iq without id), so the router can log
    /// exactly what it dropped.
    public init(element: XMLElement) throws(StanzaParseError) {
        guard element.namespace == XMPPNamespace.component else {
            self = .other(element)
            return
        }
        switch element.name {
        case "message": self = .message(try Message(element: element))
        case "presence": self = .presence(try Presence(element: element))
        case "iq": self = .iq(try IQ(element: element))
        default: self = .other(element)
        }
    }
}
