/// A data form (XEP-0004): what an ad-hoc command asks for, and what the client sends back.
public struct DataForm: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case form, submit, cancel, result
    }

    /// One field; `options` only for list fields.
    public struct Field: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            case listSingle = "list-single"
            case textSingle = "text-single"
            case fixed
            case hidden
        }

        public var variable: String
        public var kind: Kind
        public var label: String?
        public var options: [(label: String, value: String)]
        public var values: [String]
        public var required: Bool

        public init(
            variable: String, kind: Kind, label: String? = nil, options: [(label: String, value: String)] = [], values: [String] = [],
            required: Bool = false
        ) {
            self.variable = variable
            self.kind = kind
            self.label = label
            self.options = options
            self.values = values
            self.required = required
        }

        public static func == (lhs: Field, rhs: Field) -> Bool {
            lhs.variable == rhs.variable && lhs.kind == rhs.kind && lhs.label == rhs.label && lhs.values == rhs.values
                && lhs.required == rhs.required && lhs.options.map(\.label) == rhs.options.map(\.label)
                && lhs.options.map(\.value) == rhs.options.map(\.value)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(variable)
            hasher.combine(values)
        }
    }

    public var kind: Kind
    public var title: String?
    public var instructions: String?
    public var fields: [Field]

    public init(kind: Kind, title: String? = nil, instructions: String? = nil, fields: [Field] = []) {
        self.kind = kind
        self.title = title
        self.instructions = instructions
        self.fields = fields
    }

    /// Reads a `<x xmlns='jabber:x:data'>`; fields keep their values and unknown field types read as text.
    public init(element: XMLElement) throws(StanzaParseError) {
        guard element.name == "x", element.namespace == XMPPNamespace.dataForms else {
            throw .missing("a data form (<x xmlns='\(XMPPNamespace.dataForms)'>)")
        }
        guard let rawKind = element[attribute: "type"], let kind = Kind(rawValue: rawKind) else {
            throw .invalidValue(field: "form type", value: element[attribute: "type"] ?? "")
        }
        self.kind = kind
        title = element.child(named: "title", namespace: XMPPNamespace.dataForms)?.text
        instructions = element.child(named: "instructions", namespace: XMPPNamespace.dataForms)?.text
        fields = element.children(named: "field", namespace: XMPPNamespace.dataForms).map { field in
            Field(
                variable: field[attribute: "var"] ?? "",
                kind: field[attribute: "type"].flatMap(Field.Kind.init(rawValue:)) ?? .textSingle,
                label: field[attribute: "label"],
                values: field.children(named: "value", namespace: XMPPNamespace.dataForms).map(\.text)
            )
        }
    }

    /// The first value submitted for `variable`, trimmed of surrounding spaces; nil when absent or blank.
    public func value(of variable: String) -> String? {
        guard let raw = fields.first(where: { $0.variable == variable })?.values.first else { return nil }
        let trimmed = String(raw.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        return trimmed.isEmpty ? nil : trimmed
    }

    public var element: XMLElement {
        let ns = XMPPNamespace.dataForms
        var x = XMLElement(name: "x", namespace: ns, attributes: ["type": kind.rawValue])
        if let title { x.append(XMLElement(name: "title", namespace: ns, text: title)) }
        if let instructions { x.append(XMLElement(name: "instructions", namespace: ns, text: instructions)) }
        for field in fields {
            var attributes = ["var": field.variable, "type": field.kind.rawValue]
            if let label = field.label { attributes["label"] = label }
            var element = XMLElement(name: "field", namespace: ns, attributes: attributes)
            if field.required { element.append(XMLElement(name: "required", namespace: ns)) }
            for value in field.values { element.append(XMLElement(name: "value", namespace: ns, text: value)) }
            for option in field.options {
                var item = XMLElement(name: "option", namespace: ns, attributes: ["label": option.label])
                item.append(XMLElement(name: "value", namespace: ns, text: option.value))
                element.append(item)
            }
            x.append(element)
        }
        return x
    }
}
