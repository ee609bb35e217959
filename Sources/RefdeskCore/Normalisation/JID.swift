/// A bare JID (`node@domain`), normalised so that equal accounts compare equal.
///
/// Normalisation approximates nodeprep/nameprep: node and domain are lowercased, a trailing
/// dot on the domain is dropped, and the characters XMPP forbids in a node are refused.
/// It is not full stringprep, but it is enough for the loop guard and for matching presence.
public struct BareJID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Characters nodeprep prohibits in the local part.
    static let prohibitedInNode: Set<Character> = ["\"", "&", "'", "/", ":", "<", ">", "@"]
    /// The longest node, domain or resource, in UTF-8 bytes (RFC 7622).
    static let maximumPartLength = 1023

    /// The local part; `nil` for a domain-only JID such as a server or component.
    public let node: String?
    public let domain: String

    /// Validates and normalises the two parts.
    public init(node: String?, domain: String) throws(NormalisationError) {
        let input = node.map { "\($0)@\(domain)" } ?? domain
        self.node = try node.map { (node) throws(NormalisationError) in try Self.normaliseNode(node, input: input) }
        self.domain = try Self.normaliseDomain(domain, input: input)
    }

    /// Parses `node@domain` or `node@domain/resource`; any resource is dropped.
    public init(parsing raw: String) throws(NormalisationError) {
        self = try FullJID.split(raw).bare
    }

    public var description: String { node.map { "\($0)@\(domain)" } ?? domain }

    public static func < (lhs: BareJID, rhs: BareJID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try BareJID(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func normaliseNode(_ node: String, input: String) throws(NormalisationError) -> String {
        func failure(_ reason: String) -> NormalisationError { NormalisationError(kind: .jid, input: input, reason: reason) }
        if node.isEmpty { throw failure("there is nothing before the '@'") }
        if node.utf8.count > maximumPartLength { throw failure("its node is longer than \(maximumPartLength) bytes") }
        for character in node {
            if character.isWhitespace { throw failure("its node contains whitespace") }
            if character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw failure("its node contains a control character")
            }
            if prohibitedInNode.contains(character) { throw failure("its node contains '\(character)'") }
        }
        return node.lowercased()
    }

    static func normaliseDomain(_ domain: String, input: String) throws(NormalisationError) -> String {
        func failure(_ reason: String) -> NormalisationError { NormalisationError(kind: .jid, input: input, reason: reason) }
        var domain = Substring(domain)
        if domain.hasSuffix(".") { domain = domain.dropLast() }
        if domain.isEmpty { throw failure("it has no domain") }
        if domain.utf8.count > maximumPartLength { throw failure("its domain is longer than \(maximumPartLength) bytes") }
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            // An IPv6 literal: hexadecimal digits, colons and dots only.
            for character in domain.dropFirst().dropLast() where !(character.isHexDigit || ":.".contains(character)) {
                throw failure("its IPv6 address contains '\(character)'")
            }
            return domain.lowercased()
        }
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { throw failure("its domain has an empty label") }
            for character in label {
                if character.isWhitespace { throw failure("its domain contains whitespace") }
                if !(character.isLetter || character.isNumber || character == "-" || character == "_") {
                    throw failure("its domain contains '\(character)'")
                }
            }
        }
        return domain.lowercased()
    }
}

/// A full JID (`node@domain/resource`): one connected client of an account.
///
/// Messages to operators go to a full JID so they reach the client where the operator is
/// available now, not whichever client the server would pick for the bare JID.
public struct FullJID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let bare: BareJID
    /// Case-sensitive, as resourceprep keeps case.
    public let resource: String

    public init(bare: BareJID, resource: String) throws(NormalisationError) {
        if resource.isEmpty {
            throw NormalisationError(kind: .jid, input: "\(bare)/", reason: "its resource is empty")
        }
        if resource.utf8.count > BareJID.maximumPartLength {
            throw NormalisationError(kind: .jid, input: "\(bare)/…", reason: "its resource is longer than \(BareJID.maximumPartLength) bytes")
        }
        self.bare = bare
        self.resource = resource
    }

    /// Parses `node@domain/resource`; the resource is required.
    public init(parsing raw: String) throws(NormalisationError) {
        let (bare, resource) = try Self.split(raw)
        guard let resource else {
            throw NormalisationError(kind: .jid, input: raw, reason: "it has no resource")
        }
        try self.init(bare: bare, resource: resource)
    }

    public var description: String { "\(bare)/\(resource)" }

    public static func < (lhs: FullJID, rhs: FullJID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try FullJID(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Splits a JID the RFC 7622 way: the resource starts at the first `/`, and the node ends
    /// at the first `@` before it.
    static func split(_ raw: String) throws(NormalisationError) -> (bare: BareJID, resource: String?) {
        let text = raw.trimmingWhitespace()
        if text.isEmpty { throw NormalisationError(kind: .jid, input: raw, reason: "it is empty") }
        var address = text
        var resource: String?
        if let slash = text.firstIndex(of: "/") {
            address = text[..<slash]
            let rest = text[text.index(after: slash)...]
            if rest.isEmpty { throw NormalisationError(kind: .jid, input: raw, reason: "its resource is empty") }
            resource = String(rest)
        }
        var node: String?
        var domain = address
        if let at = address.firstIndex(of: "@") {
            node = String(address[..<at])
            domain = address[address.index(after: at)...]
        }
        do {
            let bare = try BareJID(node: node, domain: String(domain))
            return (bare, resource)
        } catch {
            throw NormalisationError(kind: .jid, input: raw, reason: error.reason)
        }
    }
}
