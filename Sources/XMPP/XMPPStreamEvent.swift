/// What the stream parser reports, in stream order.
public enum XMPPStreamEvent: Sendable, Hashable {
    /// The peer's `<stream:stream ...>` opening tag arrived. The attributes carry the stream `id`
    /// the XEP-0114 handshake hashes, and `from`, `version`, `xml:lang` as sent.
    case streamOpened(attributes: [String: String])
    /// One complete top-level child of the stream: a stanza, `<handshake/>` or `<stream:error>`.
    case stanza(XMLElement)
    /// The peer closed its stream with `</stream:stream>`.
    case streamClosed
}
