/// A `<presence>` stanza (RFC 6121 §4): how the router learns which librarians are routable and
/// how it shows each queue's availability and manages subscriptions.
public struct Presence: Sendable, Hashable {
    /// The `type` attribute; `available` is its absence.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case available, unavailable, subscribe, subscribed, unsubscribe, unsubscribed, probe, error
    }

    /// The `<show>` value; `available` is its absence (plain online).
    public enum Show: String, Sendable, Hashable, CaseIterable {
        case available, chat, away, xa, dnd
    }

    public var from: JID?
    public var to: JID?
    public var type: Kind
    public var show: Show
    public var status: String?
    public var priority: Int?
    public var id: String?

    public init(
        from: JID?, to: JID?, type: Kind = .available, show: Show = .available,
        status: String? = nil, priority: Int? = nil, id: String? = nil
    ) {
        self.from = from
        self.to = to
        self.type = type
        self.show = show
        self.status = status
        self.priority = priority
        self.id = id
    }

    /// Reads a received `<presence>`, refusing type and show values RFC 6121 does not define.
    public init(element: XMLElement) throws(StanzaParseError) {
        guard element.name == "presence" else { throw .missing("a <presence> element (got <\(element.name)>)") }
        from = try element.jidAttribute("from")
        to = try element.jidAttribute("to")
        id = element[attribute: "id"]
        if let rawType = element[attribute: "type"] {
            guard let kind = Kind(rawValue: rawType), kind != .available else {
                throw .invalidValue(field: "type", value: rawType)
            }
            type = kind
        } else {
            type = .available
        }
        if let rawShow = element.child(named: "show", namespace: element.namespace)?.text {
            guard let value = Show(rawValue: rawShow), value != .available else {
                throw .invalidValue(field: "show", value: rawShow)
            }
            show = value
        } else {
            show = .available
        }
        status = element.child(named: "status", namespace: element.namespace)?.text
        if let rawPriority = element.child(named: "priority", namespace: element.namespace)?.text {
            guard let value = Int(rawPriority), (-128...127).contains(value) else {
                throw .invalidValue(field: "priority", value: rawPriority)
            }
            priority = value
        } else {
            priority = nil
        }
    }

    /// The stanza to send; `available` type and show are written as absent.
    public var element: XMLElement {
        var element = XMLElement.stanza("presence", from: from, to: to, id: id, type: type == .available ? nil : type.rawValue)
        if show != .available {
            element.append(XMLElement(name: "show", namespace: XMPPNamespace.component, text: show.rawValue))
        }
        if let status {
            element.append(XMLElement(name: "status", namespace: XMPPNamespace.component, text: status))
        }
        if let priority {
            element.append(XMLElement(name: "priority", namespace: XMPPNamespace.component, text: String(priority)))
        }
        return element
    }
}
