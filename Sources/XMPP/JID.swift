/// An XMPP address (RFC 7622): `node@domain/resource`.
///
/// Validation is structural, not full PRECIS: it refuses what would make a server reject the
/// stanza or make two addresses ambiguous (forbidden localpart characters, empty or oversized
/// parts, control characters). The domain is lower-cased and a trailing dot dropped so that
/// comparisons of bare JIDs behave; node and resource keep their case.
public struct JID: Sendable, Hashable, CustomStringConvertible {
    /// The localpart, already XEP-0106 escaped if it came from a foreign address.
    public let node: String?
    public let domain: String
    public let resource: String?

    /// RFC 7622 limit for each part, in UTF-8 bytes.
    public static let maximumPartLength = 1023

    /// Builds and validates a JID from its parts.
    public init(node: String?, domain: String, resource: String? = nil) throws(JIDError) {
        self.node = node
        self.domain = try Self.normalizedDomain(domain)
        self.resource = resource
        if let node { try Self.validateNode(node) }
        if let resource { try Self.validateResource(resource) }
    }

    /// Parses `node@domain/resource` (node and resource optional). Everything after the first
    /// `/` is the resource, which may itself contain `@` and `/`.
    public init(_ string: String) throws(JIDError) {
        guard !string.isEmpty else { throw .empty }
        var rest = Substring(string)
        var resource: String?
        if let slash = rest.firstIndex(of: "/") {
            resource = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var node: String?
        if let at = rest.firstIndex(of: "@") {
            node = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        try self.init(node: node, domain: String(rest), resource: resource)
    }

    /// Builds a JID whose node is `rawNode` escaped with XEP-0106, the way a patron's phone number
    /// or AIM screen name becomes an address under the component's domain.
    public init(escapingNode rawNode: String, domain: String, resource: String? = nil) throws(JIDError) {
        try self.init(node: try JIDEscaping.escape(rawNode), domain: domain, resource: resource)
    }

    /// The JID without its resource: the account, rather than one connected client.
    public var bare: JID {
        JID(validatedNode: node, domain: domain, resource: nil)
    }

    public var isBare: Bool { resource == nil }

    /// The node with XEP-0106 escapes undone (`patron\40aol.com` → `patron@aol.com`).
    public var unescapedNode: String? {
        node.map(JIDEscaping.unescape)
    }

    public var description: String {
        var result = ""
        if let node { result += node + "@" }
        result += domain
        if let resource { result += "/" + resource }
        return result
    }

    private init(validatedNode node: String?, domain: String, resource: String?) {
        self.node = node
        self.domain = domain
        self.resource = resource
    }

    // MARK: - Validation

    /// Characters RFC 7622 §3.3.1 forbids in a localpart (spaces are forbidden by PRECIS).
    static let forbiddenNodeCharacters: Set<Character> = ["\"", "&", "'", "/", ":", "<", ">", "@"]

    private static func validateNode(_ node: String) throws(JIDError) {
        guard !node.isEmpty else { throw .emptyPart(.node) }
        guard node.utf8.count <= maximumPartLength else { throw .partTooLong(.node, bytes: node.utf8.count) }
        for character in node {
            if forbiddenNodeCharacters.contains(character) || character.isWhitespace || isControl(character) {
                throw .forbiddenCharacter(.node, character)
            }
        }
    }

    private static func normalizedDomain(_ raw: String) throws(JIDError) -> String {
        var domain = raw.lowercased()
        if domain.hasSuffix(".") { domain.removeLast() }
        guard !domain.isEmpty else { throw .emptyPart(.domain) }
        guard domain.utf8.count <= maximumPartLength else { throw .partTooLong(.domain, bytes: domain.utf8.count) }
        for character in domain {
            if character == "@" || character == "/" || character.isWhitespace || isControl(character) {
                throw .forbiddenCharacter(.domain, character)
            }
        }
        return domain
    }

    private static func validateResource(_ resource: String) throws(JIDError) {
        guard !resource.isEmpty else { throw .emptyPart(.resource) }
        guard resource.utf8.count <= maximumPartLength else { throw .partTooLong(.resource, bytes: resource.utf8.count) }
        for character in resource where isControl(character) {
            throw .forbiddenCharacter(.resource, character)
        }
    }

    private static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

/// Why a string is not a usable JID.
public enum JIDError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Part: String, Sendable, Hashable {
        case node, domain, resource
    }

    case empty
    case emptyPart(Part)
    case partTooLong(Part, bytes: Int)
    case forbiddenCharacter(Part, Character)
    /// XEP-0106 forbids `\20` at either end of a node, so a raw name with an outer space cannot be escaped.
    case spaceAtNodeEdge

    public var description: String {
        switch self {
        case .empty:
            return "JID is empty"
        case .emptyPart(let part):
            return "JID \(part.rawValue) is empty"
        case .partTooLong(let part, let bytes):
            return "JID \(part.rawValue) is \(bytes) bytes, more than the maximum \(JID.maximumPartLength)"
        case .forbiddenCharacter(let part, let character):
            let code = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
            return "JID \(part.rawValue) contains the forbidden character \(code)"
        case .spaceAtNodeEdge:
            return "a JID node cannot begin or end with a space, even escaped (XEP-0106)"
        }
    }
}
