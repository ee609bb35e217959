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
    /// Service discovery (XEP-0030): what an address is (identities) and what it supports (features).
    public static let discoInfo = "http://jabber.org/protocol/disco#info"
    /// Service discovery items (XEP-0030): what an address offers, such as its ad-hoc commands.
    public static let discoItems = "http://jabber.org/protocol/disco#items"
    /// Ad-hoc commands (XEP-0050): commands a client shows in a menu and runs with forms.
    public static let commands = "http://jabber.org/protocol/commands"
    /// Data forms (XEP-0004): the forms ad-hoc commands ask and answer with.
    public static let dataForms = "jabber:x:data"
    /// User nickname (XEP-0172): the name a contact wants to be shown by.
    public static let nick = "http://jabber.org/protocol/nick"
    /// vCards (XEP-0054), here for a queue's name and avatar.
    public static let vCard = "vcard-temp"
    /// vCard-based avatars (XEP-0153): the avatar's hash in presence, so clients fetch it with the vCard.
    public static let vCardUpdate = "vcard-temp:x:update"
    /// Out-of-band data (XEP-0066): a link clients fetch and show in place (a patron's MMS picture).
    public static let outOfBand = "jabber:x:oob"
    /// Chat state notifications (XEP-0085): `<composing/>`, `<paused/>`, `<active/>`, `<inactive/>`, `<gone/>`.
    public static let chatStates = "http://jabber.org/protocol/chatstates"
    /// The XML namespace bound to the `xml:` prefix (`xml:lang`).
    public static let xml = "http://www.w3.org/XML/1998/namespace"
}
