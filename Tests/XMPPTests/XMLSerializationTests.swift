import Testing
import XMPP

@Suite("XML serialisation escapes everything and round-trips through the parser")
struct XMLSerializationTests {
    /// Parses `element` as the only stanza of a component stream.
    static func reparse(_ element: XMLElement) throws -> XMLElement? {
        let text = StanzaCorpus.serverHeader + String(decoding: element.streamBytes, as: UTF8.self)
        return ParserHarness.stanzas(try ParserHarness.eventsWhole(text)).first
    }

    @Test("text and attribute values escape & < > \" '")
    func escapesSpecialCharacters() {
        let element = XMLElement(
            name: "body", attributes: ["title": "a&b<c>d\"e'f"], text: "Tom & Jerry <3 \"x\" 'y' ]]>")
        #expect(element.serialized() == "<body title='a&amp;b&lt;c&gt;d&quot;e&apos;f'>Tom &amp; Jerry &lt;3 &quot;x&quot; &apos;y&apos; ]]&gt;</body>")
    }

    @Test("characters XML cannot carry are replaced, never written raw")
    func controlCharactersReplaced() {
        let element = XMLElement(name: "body", text: "bell\u{7} nul\u{0} fffe\u{FFFE} ok\ttab")
        #expect(element.serialized() == "<body>bell\u{FFFD} nul\u{FFFD} fffe\u{FFFD} ok\ttab</body>")
    }

    @Test("namespaces are declared only where they change; known prefixes are used")
    func namespaces() {
        var message = XMLElement(name: "message", namespace: XMPPNamespace.component, attributes: ["to": "a@b"])
        message.append(XMLElement(name: "body", namespace: XMPPNamespace.component, text: "hi"))
        message.append(XMLElement(name: "active", namespace: "http://jabber.org/protocol/chatstates"))
        #expect(message.serialized(defaultNamespace: XMPPNamespace.component)
            == "<message to='a@b'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>")
        #expect(message.serialized().hasPrefix("<message xmlns='jabber:component:accept' to='a@b'>"))

        let error = StreamError(condition: .notWellFormed).element
        #expect(String(decoding: error.streamBytes, as: UTF8.self)
            == "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")
    }

    @Test("every corpus stanza survives serialise → parse unchanged")
    func corpusRoundTrip() throws {
        let stanzas = ParserHarness.stanzas(try ParserHarness.eventsWhole(StanzaCorpus.stream))
        try #require(stanzas.count == StanzaCorpus.stanzas.count)
        for stanza in stanzas {
            #expect(try Self.reparse(stanza) == stanza)
        }
    }

    @Test("hand-built stanzas with awkward content round-trip", arguments: [
        "plain",
        "line\nbreaks\r\nand\rreturns",
        "  leading and trailing spaces  ",
        "<script>alert('x')</script> & co",
        "emoji 📚 and accents é and CJK 図書館",
        "]]> and <![CDATA[ literal",
    ])
    func builtRoundTrip(text: String) throws {
        var element = XMLElement(
            name: "message", namespace: XMPPNamespace.component,
            attributes: ["to": "q@refdesk.example.org", "id": text, "xml:lang": "en", "{urn:example:x}flag": "1"])
        element.append(XMLElement(name: "body", namespace: XMPPNamespace.component, text: text))
        #expect(try Self.reparse(element) == element)
    }

    @Test("lookup helpers find children, text and attributes")
    func lookups() {
        var message = XMLElement(name: "message", namespace: XMPPNamespace.component, attributes: ["type": "chat"])
        message.append(text: "\n ")
        message.append(XMLElement(name: "body", namespace: XMPPNamespace.component, text: "first"))
        message.append(XMLElement(name: "body", namespace: XMPPNamespace.component, attributes: ["xml:lang": "fr"], text: "premier"))
        message.append(XMLElement(name: "x", namespace: "jabber:x:oob"))
        #expect(message[attribute: "type"] == "chat")
        #expect(message[attribute: "missing"] == nil)
        #expect(message.child(named: "body")?.text == "first")
        #expect(message.children(named: "body").count == 2)
        #expect(message.child(named: "x", namespace: "jabber:x:oob") != nil)
        #expect(message.child(named: "x", namespace: XMPPNamespace.component) == nil)
        #expect(message.elements.count == 3)
        #expect(message.text == "\n ")
    }

    @Test("appending text merges with text already at the end")
    func appendMergesText() {
        var element = XMLElement(name: "body")
        element.append(text: "a")
        element.append(text: "")
        element.append(text: "b")
        #expect(element.children == [.text("ab")])
    }
}
