/// Ad-hoc commands (XEP-0050): a client lists an address's commands, runs one, fills in the form it answers with,
/// and reads the note of the result.
public enum AdHocCommand {
    /// A request to run (or continue, or cancel) a command: the `<command/>` of an `iq type='set'`.
    public struct Request: Sendable, Hashable {
        public enum Action: String, Sendable, Hashable {
            case execute, next, complete, cancel, prev
        }

        public var node: String
        public var sessionID: String?
        public var action: Action
        /// The form the client filled in, when it sends one.
        public var form: DataForm?

        /// Reads `<command xmlns='http://jabber.org/protocol/commands' node=… [sessionid=…] [action=…]>`.
        public init(element: XMLElement) throws(StanzaParseError) {
            guard element.name == "command", element.namespace == XMPPNamespace.commands else {
                throw .missing("a <command xmlns='\(XMPPNamespace.commands)'>")
            }
            guard let node = element[attribute: "node"], !node.isEmpty else { throw .missing("the command's node") }
            self.node = node
            sessionID = element[attribute: "sessionid"]
            if let raw = element[attribute: "action"] {
                guard let action = Action(rawValue: raw) else { throw .invalidValue(field: "command action", value: raw) }
                self.action = action
            } else {
                action = .execute
            }
            if let x = element.child(named: "x", namespace: XMPPNamespace.dataForms) {
                form = try DataForm(element: x)
            }
        }
    }

    /// The `<command/>` answering a request: a form to fill in (`executing`), or the outcome (`completed`, with a
    /// note), or `canceled`.
    public static func response(node: String, sessionID: String, status: String, form: DataForm? = nil, note: (type: String, text: String)? = nil)
        -> XMLElement
    {
        var command = XMLElement(name: "command", namespace: XMPPNamespace.commands, attributes: ["node": node, "sessionid": sessionID, "status": status])
        if status == "executing" {
            var actions = XMLElement(name: "actions", namespace: XMPPNamespace.commands, attributes: ["execute": "complete"])
            actions.append(XMLElement(name: "complete", namespace: XMPPNamespace.commands))
            command.append(actions)
        }
        if let note { command.append(XMLElement(name: "note", namespace: XMPPNamespace.commands, attributes: ["type": note.type], text: note.text)) }
        if let form { command.append(form.element) }
        return command
    }
}

/// Service discovery answers (XEP-0030).
public enum Discovery {
    /// An identity: what an address is (`gateway`/`sms`, with a human name).
    public struct Identity: Sendable, Hashable {
        public var category: String
        public var type: String
        public var name: String?

        public init(category: String, type: String, name: String? = nil) {
            self.category = category
            self.type = type
            self.name = name
        }
    }

    /// `<query xmlns='…disco#info' [node]>` with identities and features.
    public static func info(identities: [Identity], features: [String], node: String? = nil) -> XMLElement {
        var query = XMLElement(name: "query", namespace: XMPPNamespace.discoInfo, attributes: node.map { ["node": $0] } ?? [:])
        for identity in identities {
            var attributes = ["category": identity.category, "type": identity.type]
            if let name = identity.name { attributes["name"] = name }
            query.append(XMLElement(name: "identity", namespace: XMPPNamespace.discoInfo, attributes: attributes))
        }
        for feature in features { query.append(XMLElement(name: "feature", namespace: XMPPNamespace.discoInfo, attributes: ["var": feature])) }
        return query
    }

    /// `<query xmlns='…disco#items' [node]>` with items (an address, and optionally a node and a name each).
    public static func items(_ items: [(jid: String, node: String?, name: String?)], node: String? = nil) -> XMLElement {
        var query = XMLElement(name: "query", namespace: XMPPNamespace.discoItems, attributes: node.map { ["node": $0] } ?? [:])
        for item in items {
            var attributes = ["jid": item.jid]
            if let node = item.node { attributes["node"] = node }
            if let name = item.name { attributes["name"] = name }
            query.append(XMLElement(name: "item", namespace: XMPPNamespace.discoItems, attributes: attributes))
        }
        return query
    }
}
