/// A stream-level error condition (RFC 6120 §4.9.3), as carried by `<stream:error>`.
///
/// A struct around the condition's element name rather than a closed enum, so a condition from
/// a newer server is still reported by name instead of being lost.
public struct StreamErrorCondition: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let badFormat = Self(rawValue: "bad-format")
    public static let badNamespacePrefix = Self(rawValue: "bad-namespace-prefix")
    /// Another component connected with the same domain and replaced this one.
    public static let conflict = Self(rawValue: "conflict")
    public static let connectionTimeout = Self(rawValue: "connection-timeout")
    public static let hostGone = Self(rawValue: "host-gone")
    /// The server does not know the component domain sent in the stream header.
    public static let hostUnknown = Self(rawValue: "host-unknown")
    public static let improperAddressing = Self(rawValue: "improper-addressing")
    public static let internalServerError = Self(rawValue: "internal-server-error")
    public static let invalidFrom = Self(rawValue: "invalid-from")
    public static let invalidNamespace = Self(rawValue: "invalid-namespace")
    public static let invalidXML = Self(rawValue: "invalid-xml")
    /// The handshake hash did not match: wrong shared secret.
    public static let notAuthorized = Self(rawValue: "not-authorized")
    public static let notWellFormed = Self(rawValue: "not-well-formed")
    public static let policyViolation = Self(rawValue: "policy-violation")
    public static let remoteConnectionFailed = Self(rawValue: "remote-connection-failed")
    public static let reset = Self(rawValue: "reset")
    public static let resourceConstraint = Self(rawValue: "resource-constraint")
    public static let restrictedXML = Self(rawValue: "restricted-xml")
    public static let seeOtherHost = Self(rawValue: "see-other-host")
    public static let systemShutdown = Self(rawValue: "system-shutdown")
    public static let undefinedCondition = Self(rawValue: "undefined-condition")
    public static let unsupportedEncoding = Self(rawValue: "unsupported-encoding")
    public static let unsupportedFeature = Self(rawValue: "unsupported-feature")
    public static let unsupportedStanzaType = Self(rawValue: "unsupported-stanza-type")
    public static let unsupportedVersion = Self(rawValue: "unsupported-version")
}

/// A decoded `<stream:error>`: why the server is closing the stream.
public struct StreamError: Sendable, Hashable, CustomStringConvertible {
    public var condition: StreamErrorCondition
    /// The optional human-readable `<text>`.
    public var text: String?

    public init(condition: StreamErrorCondition, text: String? = nil) {
        self.condition = condition
        self.text = text
    }

    /// Decodes a `<stream:error>` element; nil if the element is not one. A stream error without
    /// a recognisable condition element is reported as `undefined-condition`.
    public init?(element: XMLElement) {
        guard element.name == "error", element.namespace == XMPPNamespace.streams else { return nil }
        let details = element.elements.filter { $0.namespace == XMPPNamespace.streamErrors }
        condition = details.first { $0.name != "text" }.map { StreamErrorCondition(rawValue: $0.name) } ?? .undefinedCondition
        text = details.first { $0.name == "text" }?.text
    }

    /// The `<stream:error>` element, for sending one.
    public var element: XMLElement {
        var error = XMLElement(name: "error", namespace: XMPPNamespace.streams)
        error.append(XMLElement(name: condition.rawValue, namespace: XMPPNamespace.streamErrors))
        if let text {
            error.append(XMLElement(name: "text", namespace: XMPPNamespace.streamErrors, text: text))
        }
        return error
    }

    public var description: String {
        text.map { "\(condition.rawValue): \($0)" } ?? condition.rawValue
    }
}

extension XMPPStreamError {
    /// The stream error condition RFC 6120 prescribes for telling the peer what was wrong with its XML.
    public var streamErrorCondition: StreamErrorCondition {
        switch self {
        case .invalidUTF8: return .unsupportedEncoding
        case .documentTypeDeclaration, .entityDeclaration, .undeclaredEntity, .processingInstruction, .comment:
            return .restrictedXML
        case .unexpectedStreamRoot: return .invalidNamespace
        case .stanzaTooLarge, .nestingTooDeep: return .policyViolation
        case .textOutsideStanza, .dataAfterStreamClose, .malformedXML: return .notWellFormed
        }
    }
}
