/// A `<message>` stanza (RFC 6121 §5), the unit of conversation between patron and librarian.
public struct Message: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case chat, normal, groupchat, headline, error
    }

    public var from: JID?
    public var to: JID?
    public var type: Kind
    public var id: String?
    public var body: String?
    public var thread: String?

    public init(from: JID?, to: JID?, type: Kind = .chat, id: String? = nil, body: String?, thread: String? = nil) {
        self.from = from
        self.to = to
        self.type = type
        self.id = id
        self.body = body
        self.thread = thread
    }

    /// A one-to-one chat message, what the router sends for every patron line:
    /// `<message type='chat' from to><body>…</body></message>`.
    public static func chat(from: JID, to: JID, body: String, id: String? = nil) -> Message {
        Message(from: from, to: to, type: .chat, id: id, body: body)
    }

    /// Reads a received `<message>`. A missing or unknown `type` means `normal` (RFC 6121 §5.2.2).
    public init(element: XMLElement) throws(StanzaParseError) {
        guard element.name == "message" else { throw .missing("a <message> element (got <\(element.name)>)") }
        from = try element.jidAttribute("from")
        to = try element.jidAttribute("to")
        type = element[attribute: "type"].flatMap(Kind.init(rawValue:)) ?? .normal
        id = element[attribute: "id"]
        body = element.child(named: "body", namespace: element.namespace)?.text
        thread = element.child(named: "thread", namespace: element.namespace)?.text
    }

    /// The stanza to send. `normal` is written without a `type` attribute, as it is the default.
    public var element: XMLElement {
        var element = XMLElement.stanza("message", from: from, to: to, id: id, type: type == .normal ? nil : type.rawValue)
        if let body {
            element.append(XMLElement(name: "body", namespace: XMPPNamespace.component, text: body))
        }
        if let thread {
            element.append(XMLElement(name: "thread", namespace: XMPPNamespace.component, text: thread))
        }
        return element
    }
}
