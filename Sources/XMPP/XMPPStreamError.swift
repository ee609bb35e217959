/// Why the stream parser refused the input.
///
/// Every case is fatal: XMPP has no recovery from bad XML, so the connection is closed and
/// re-established. Descriptions name what was wrong and where, for the log line that records
/// why the component reconnected.
public enum XMPPStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes are not UTF-8 (RFC 6120 §11.6), or contain U+0000.
    case invalidUTF8(offset: Int)
    /// A document type declaration; XMPP forbids DTDs (RFC 6120 §11.1).
    case documentTypeDeclaration(name: String)
    /// An entity declaration (only reachable if a DTD slipped through).
    case entityDeclaration(name: String)
    /// A reference to an entity other than the five predefined ones and character references.
    case undeclaredEntity(message: String)
    /// A processing instruction other than the XML declaration.
    case processingInstruction(target: String)
    /// An XML comment; restricted XML forbids them (RFC 6120 §11.1).
    case comment
    /// The first element was not `<stream:stream>` in the streams namespace.
    case unexpectedStreamRoot(name: String, namespace: String)
    /// Non-whitespace text directly inside `<stream:stream>`, outside any stanza.
    case textOutsideStanza
    /// A stanza grew beyond the configured maximum before it was complete.
    case stanzaTooLarge(limit: Int)
    /// Elements nested deeper than the configured maximum.
    case nestingTooDeep(limit: Int)
    /// Bytes arrived after the peer closed its stream.
    case dataAfterStreamClose
    /// libxml2 found the XML not well-formed; carries its error code, position and message.
    case malformedXML(code: Int, line: Int, column: Int, message: String)

    public var description: String {
        switch self {
        case .invalidUTF8(let offset):
            return "invalid UTF-8 (or a NUL byte) at stream byte offset \(offset)"
        case .documentTypeDeclaration(let name):
            return "document type declaration <!DOCTYPE \(name)> is forbidden in an XMPP stream"
        case .entityDeclaration(let name):
            return "entity declaration <!ENTITY \(name)> is forbidden in an XMPP stream"
        case .undeclaredEntity(let message):
            return "entity reference refused (only the five predefined entities and character references are allowed): \(message)"
        case .processingInstruction(let target):
            return "processing instruction <?\(target)?> is forbidden in an XMPP stream"
        case .comment:
            return "XML comment is forbidden in an XMPP stream"
        case .unexpectedStreamRoot(let name, let namespace):
            return "expected <stream:stream> in namespace \(XMPPNamespace.streams), got <\(name)> in namespace '\(namespace)'"
        case .textOutsideStanza:
            return "non-whitespace text directly inside <stream:stream>, outside any stanza"
        case .stanzaTooLarge(let limit):
            return "stanza exceeds the maximum size of \(limit) bytes"
        case .nestingTooDeep(let limit):
            return "elements nested deeper than the maximum depth of \(limit)"
        case .dataAfterStreamClose:
            return "data received after </stream:stream>"
        case .malformedXML(let code, let line, let column, let message):
            return "malformed XML at line \(line), column \(column) (libxml2 error \(code)): \(message)"
        }
    }
}
