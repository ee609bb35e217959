/// Realistic traffic a component sees from Prosody, used to check that parsing does not depend
/// on how TCP happened to split the bytes.
enum StanzaCorpus {
    static let serverHeader =
        "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
        + "xmlns='jabber:component:accept' from='refdesk.example.org' id='3BF96D32' xml:lang='en'>"

    static let stanzas: [String] = [
        // 1. A plain chat message from a librarian.
        "<message type='chat' from='alice@library.example.org/desk' to='+15551234567@refdesk.example.org' id='m1'>"
            + "<body>Hi! Which book were you looking for?</body></message>",
        // 2. Predefined entities and character references in text and attributes.
        "<message type='chat' from='alice@library.example.org/desk' to='patron\\40aol.com@refdesk.example.org' id='a&amp;b'>"
            + "<body>Tom &amp; Jerry &lt;3 &quot;quoted&quot; &apos;single&apos; &#x263A; &#9731;</body></message>",
        // 3. Multi-byte UTF-8: accents, CJK, emoji (4-byte), combining marks.
        "<message type='chat' from='bob@library.example.org/phone' to='queue@refdesk.example.org'>"
            + "<body>Café, 図書館, 📚📖, e\u{301}, Ελληνικά</body><thread>t-42</thread></message>",
        // 4. CDATA section holding markup-like text.
        "<message type='chat' from='alice@library.example.org' to='queue@refdesk.example.org'>"
            + "<body><![CDATA[if (a < b && c > d) { return \"<ok>\"; }]]></body></message>",
        // 5. Chat state notification with extension namespace and no body.
        "<message type='chat' from='alice@library.example.org/desk' to='+15551234567@refdesk.example.org'>"
            + "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
        // 6. Available presence with show, status and priority.
        "<presence from='alice@library.example.org/desk' to='queue@refdesk.example.org'>"
            + "<show>chat</show><status>Ready to help</status><priority>5</priority></presence>",
        // 7. Away presence with a localized status.
        "<presence from='carol@example.net/laptop' to='queue@refdesk.example.org'>"
            + "<show>away</show><status xml:lang='fr'>Absente, de retour à 14h</status></presence>",
        // 8. Unavailable presence.
        "<presence type='unavailable' from='alice@library.example.org/desk' to='queue@refdesk.example.org'/>",
        // 9. Subscription request.
        "<presence type='subscribe' from='dave@example.com' to='queue@refdesk.example.org'/>",
        // 10. Presence with entity capabilities (XEP-0115).
        "<presence from='alice@library.example.org/desk' to='queue@refdesk.example.org'>"
            + "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gajim.org' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"
            + "</presence>",
        // 11. Disco info query.
        "<iq type='get' from='alice@library.example.org/desk' to='refdesk.example.org' id='disco1'>"
            + "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        // 12. Ping.
        "<iq type='get' from='library.example.org' to='refdesk.example.org' id='ping-9'><ping xmlns='urn:xmpp:ping'/></iq>",
        // 13. An iq result with a nested payload and whitespace between children.
        "<iq type='result' from='library.example.org' to='refdesk.example.org' id='v1'>\n"
            + "  <query xmlns='jabber:iq:version'>\n    <name>Prosody</name>\n    <version>0.12.4</version>\n  </query>\n</iq>",
        // 14. A message error bounced back.
        "<message type='error' from='ghost@example.com' to='queue@refdesk.example.org' id='m7'>"
            + "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        // 15. Successful component handshake reply.
        "<handshake/>",
        // 16. A long message body (well over libxml2's internal chunk sizes).
        "<message type='chat' from='alice@library.example.org/desk' to='queue@refdesk.example.org'><body>"
            + String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 120) + "</body></message>",
        // 17. Attribute values using double quotes, tabs and newlines as character references.
        "<message type=\"chat\" from=\"alice@library.example.org\" to=\"queue@refdesk.example.org\" id=\"x&#x9;y&#xA;z\">"
            + "<body>line one\nline two\r\nline three</body></message>",
        // 18. Stream error (the server giving up on us), with text.
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced by new connection</text></stream:error>",
    ]

    /// The whole inbound stream: header, every stanza separated by whitespace keepalives, close.
    static var stream: String {
        serverHeader + stanzas.joined(separator: "\n ") + "</stream:stream>"
    }
}
