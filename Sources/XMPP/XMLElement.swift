/// One XML element of an XMPP stream: a stanza or a piece of one.
///
/// A plain value (no parent pointers, no document) so stanzas can be handed between tasks, stored,
/// compared in tests and built by hand. Names are namespace-resolved: `name` is the local name and
/// `namespace` the URI it is qualified by, whatever prefix the sender happened to use.
public struct XMLElement: Sendable, Hashable {
    /// The local name, e.g. `message`.
    public var name: String
    /// The namespace URI the element is qualified by; empty when it is in no namespace.
    public var namespace: String
    /// Attribute values keyed by name: the local name for unqualified attributes, `xml:NAME` for
    /// the XML namespace (`xml:lang`), and `{URI}NAME` (Clark notation) for any other namespace.
    public var attributes: [String: String]
    /// Child elements and text, in document order. The parser merges adjacent text, so however the
    /// bytes were split, the same input gives the same children.
    public var children: [XMLNode]

    /// An element with explicit children; stanza builders start from an empty one and append.
    public init(
        name: String,
        namespace: String = "",
        attributes: [String: String] = [:],
        children: [XMLNode] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
        self.children = children
    }

    /// An element holding only text, the common shape of `<body>`, `<status>` and `<show>`.
    public init(name: String, namespace: String = "", attributes: [String: String] = [:], text: String) {
        self.init(name: name, namespace: namespace, attributes: attributes, children: text.isEmpty ? [] : [.text(text)])
    }

    /// The value of an attribute, or nil when absent.
    public subscript(attribute name: String) -> String? {
        get { attributes[name] }
        set { attributes[name] = newValue }
    }

    /// The child elements, without the text between them.
    public var elements: [XMLElement] {
        children.compactMap { node in
            if case .element(let element) = node { return element }
            return nil
        }
    }

    /// The direct text content (text children concatenated, child elements skipped), which is
    /// what `<body>` and `<status>` carry.
    public var text: String {
        var result = ""
        for case .text(let piece) in children {
            result += piece
        }
        return result
    }

    /// The first child element with this local name, in `namespace` (or in any namespace when nil).
    public func child(named name: String, namespace: String? = nil) -> XMLElement? {
        elements.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// All child elements with this local name, in `namespace` (or in any namespace when nil).
    public func children(named name: String, namespace: String? = nil) -> [XMLElement] {
        elements.filter { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// Appends a child element.
    public mutating func append(_ element: XMLElement) {
        children.append(.element(element))
    }

    /// Appends text, merging it with text already at the end so equal content compares equal.
    public mutating func append(text: String) {
        guard !text.isEmpty else { return }
        if case .text(let previous) = children.last {
            children[children.count - 1] = .text(previous + text)
        } else {
            children.append(.text(text))
        }
    }
}

/// A child of an `XMLElement`.
public enum XMLNode: Sendable, Hashable {
    case element(XMLElement)
    /// Character data with entities and CDATA already resolved to plain text.
    case text(String)
}
