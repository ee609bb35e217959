/// Namespace URIs the component speaks, in one place so a typo cannot split them.
public enum XMPPNamespace {
    /// The stream namespace (`stream:` prefix) of RFC 6120.
    public static let streams = "http://etherx.jabber.org/streams"
    /// The default namespace of a XEP-0114 component stream.
    public static let component = "jabber:component:accept"
    /// Stream error conditions (RFC 6120 §4.9.3).
    public static let streamErrors = "urn:ietf:params:xml:ns:xmpp-streams"
    /// Stanza error conditions (RFC 6120 §8.3.3).
    public static let stanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas"
    /// Message delivery receipts (XEP-0184): `<request/>` asks the recipient to confirm, `<received id/>` confirms.
    public static let receipts = "urn:xmpp:receipts"
    /// Unique and stable stanza ids (XEP-0359): `<origin-id id/>` repeats a message's own id, so a client that
    /// gets it again (sent again after a crash) recognises the repeat.
    public static let stableStanzaIDs = "urn:xmpp:sid:0"
    /// Chat state notifications (XEP-0085): `<composing/>`, `<paused/>`, `<active/>`, `<inactive/>`, `<gone/>`.
    public static let chatStates = "http://jabber.org/protocol/chatstates"
    /// The XML namespace bound to the `xml:` prefix (`xml:lang`).
    public static let xml = "http://www.w3.org/XML/1998/namespace"
}
