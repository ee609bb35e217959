/// A `<message>` stanza (RFC 6121 §5), the unit of conversation between patron and librarian.
public struct Message: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case chat, normal, groupchat, headline, error
    }

    /// A chat state notification (XEP-0085): whether the sender is typing. The raw value is the element's name.
    public enum ChatState: String, Sendable, Hashable, CaseIterable {
        case active, composing, paused, inactive, gone
    }

    public var from: JID?
    public var to: JID?
    public var type: Kind
    public var id: String?
    public var body: String?
    public var thread: String?
    /// The sender asks for a delivery receipt (XEP-0184 `<request/>`); meaningful only with an `id`.
    public var requestsReceipt: Bool
    /// The id of the message this one confirms (XEP-0184 `<received id/>`), when it is a receipt.
    public var receiptFor: String?
    /// The sender's chat state (XEP-0085), alone (a typing notification) or with a body.
    public var chatState: ChatState?

    public init(
        from: JID?, to: JID?, type: Kind = .chat, id: String? = nil, body: String?, thread: String? = nil,
        requestsReceipt: Bool = false, receiptFor: String? = nil, chatState: ChatState? = nil
    ) {
        self.from = from
        self.to = to
        self.type = type
        self.id = id
        self.body = body
        self.thread = thread
        self.requestsReceipt = requestsReceipt
        self.receiptFor = receiptFor
        self.chatState = chatState
    }

    /// A one-to-one chat message, what the router sends for every patron line:
    /// `<message type='chat' from to><body>…</body></message>`.
    public static func chat(from: JID, to: JID, body: String, id: String? = nil, requestsReceipt: Bool = false) -> Message {
        Message(from: from, to: to, type: .chat, id: id, body: body, requestsReceipt: requestsReceipt)
    }

    /// A delivery receipt (XEP-0184) for the message `id` that `to` sent to `from`: no body, only `<received/>`.
    public static func receipt(from: JID, to: JID, for id: String) -> Message {
        Message(from: from, to: to, type: .chat, body: nil, receiptFor: id)
    }

    /// A chat state notification without a body (XEP-0085 §5.5: standalone notifications are `chat` messages).
    public static func chatState(_ state: ChatState, from: JID, to: JID) -> Message {
        Message(from: from, to: to, type: .chat, body: nil, chatState: state)
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
        requestsReceipt = element.child(named: "request", namespace: XMPPNamespace.receipts) != nil
        receiptFor = element.child(named: "received", namespace: XMPPNamespace.receipts)?[attribute: "id"]
        chatState = ChatState.allCases.first { element.child(named: $0.rawValue, namespace: XMPPNamespace.chatStates) != nil }
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
        if requestsReceipt {
            element.append(XMLElement(name: "request", namespace: XMPPNamespace.receipts))
        }
        if let receiptFor {
            element.append(XMLElement(name: "received", namespace: XMPPNamespace.receipts, attributes: ["id": receiptFor]))
        }
        if let chatState {
            element.append(XMLElement(name: chatState.rawValue, namespace: XMPPNamespace.chatStates))
        }
        return element
    }
}
