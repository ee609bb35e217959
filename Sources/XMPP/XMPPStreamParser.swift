/// Limits that keep one misbehaving peer from exhausting the router's memory.
public struct XMPPStreamLimits: Sendable, Hashable {
    /// The most bytes one stanza may occupy on the wire, counted from the end of the previous
    /// stanza, so an unterminated start tag counts as well as a long body.
    public var maximumStanzaBytes: Int
    /// The deepest element nesting allowed inside a stanza (the stanza itself is depth 1).
    public var maximumDepth: Int

    /// 256 KiB stanzas and 32 levels: far beyond any chat message, far below what would hurt.
    public init(maximumStanzaBytes: Int = 256 * 1024, maximumDepth: Int = 32) {
        self.maximumStanzaBytes = maximumStanzaBytes
        self.maximumDepth = maximumDepth
    }
}

/// An incremental parser for one inbound XMPP stream.
///
/// Bytes arrive from the socket split anywhere; `feed` returns whatever became complete. Only the
/// stanza being received is held in memory (no document tree), so a connection that stays up for
/// months costs the same as a new one. Input is held to RFC 6120's restricted XML: no DTD, no
/// entity declarations or references beyond the predefined five and character references, no
/// processing instructions or comments, UTF-8 only. The first violation kills the parser for
/// good: every later `feed` throws the same error, and the connection must be re-established.
///
/// Non-copyable because it owns a libxml2 parser context that cannot be duplicated.
public struct XMPPStreamParser: ~Copyable {
    private let core: StreamParserCore

    public init(limits: XMPPStreamLimits = XMPPStreamLimits()) {
        core = StreamParserCore(limits: limits)
    }

    /// Parses the next bytes of the stream and returns the events they completed, in order.
    public mutating func feed(_ bytes: [UInt8]) throws(XMPPStreamError) -> [XMPPStreamEvent] {
        try core.feed(bytes)
    }

    /// The error that killed the parser, if any.
    public var failure: XMPPStreamError? { core.failure }

    /// Bytes received toward the stanza not yet complete (including any partial tag libxml2 is
    /// holding). Bounded by the stanza limit, which is what makes a long-lived stream cheap; worth
    /// exporting as a gauge.
    public var pendingByteCount: Int { core.pendingByteCount }
}
