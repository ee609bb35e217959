import Testing
import XMPP

@Suite("Typed stanzas: building and reading message, presence and iq")
struct StanzaTests {
    /// Parses one stanza text inside a component stream.
    static func parse(_ stanza: String) throws -> XMLElement {
        let events = try ParserHarness.eventsWhole(StanzaCorpus.serverHeader + stanza)
        return try #require(ParserHarness.stanzas(events).first)
    }

    static func wire(_ element: XMLElement) -> String {
        String(decoding: element.streamBytes, as: UTF8.self)
    }

    @Test("a chat message is written as <message type='chat' from to><body>…</body></message>")
    func buildChat() throws {
        let message = Message.chat(
            from: try JID(escapingNode: "patron@aol.com", domain: "refdesk.example.org"),
            to: try JID("alice@library.example.org/desk"),
            body: "Do you have \"Dune\" & <Foundation>?", id: "r-1")
        #expect(Self.wire(message.element)
            == "<message from='patron\\40aol.com@refdesk.example.org' id='r-1' to='alice@library.example.org/desk' type='chat'>"
            + "<body>Do you have &quot;Dune&quot; &amp; &lt;Foundation&gt;?</body></message>")
        #expect(try Message(element: Self.parse(Self.wire(message.element))) == message)
    }

    @Test("a received message is read with body, thread and type; unknown type means normal")
    func readMessage() throws {
        let message = try Message(element: Self.parse(
            "<message type='chat' from='alice@library.example.org/desk' to='queue@refdesk.example.org' id='m1'>"
                + "<body>Hello &amp; welcome</body><thread>t1</thread></message>"))
        #expect(message.type == .chat)
        #expect(message.from == (try JID("alice@library.example.org/desk")))
        #expect(message.to?.bare == (try JID("queue@refdesk.example.org")))
        #expect(message.body == "Hello & welcome")
        #expect(message.thread == "t1")
        #expect(message.id == "m1")
        #expect(try Message(element: Self.parse("<message type='bogus'/>")).type == .normal)
        #expect(try Message(element: Self.parse("<message><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")).body == nil)
    }

    @Test("a receipt request and a receipt (XEP-0184) are written in their namespace and read back")
    func receipts() throws {
        let patron = try JID(escapingNode: "+15551230001", domain: "refdesk.example.org")
        let alice = try JID("alice@library.example.org/desk")
        let asking = Message.chat(from: patron, to: alice, body: "Are you open?", id: "rd-7", requestsReceipt: true)
        #expect(Self.wire(asking.element)
            == "<message from='+15551230001@refdesk.example.org' id='rd-7' to='alice@library.example.org/desk' type='chat'>"
            + "<body>Are you open?</body><request xmlns='urn:xmpp:receipts'/></message>")
        #expect(try Message(element: Self.parse(Self.wire(asking.element))) == asking)

        let receipt = Message.receipt(from: patron, to: alice, for: "m-42")
        #expect(Self.wire(receipt.element)
            == "<message from='+15551230001@refdesk.example.org' to='alice@library.example.org/desk' type='chat'>"
            + "<received xmlns='urn:xmpp:receipts' id='m-42'/></message>")
        let read = try Message(element: Self.parse(
            "<message from='alice@library.example.org/desk' to='x@refdesk.example.org'><received xmlns='urn:xmpp:receipts' id='rd-7'/></message>"))
        #expect(read.receiptFor == "rd-7" && read.body == nil && !read.requestsReceipt)
        // The same element names in another namespace are not receipts.
        let other = try Message(element: Self.parse("<message><request xmlns='urn:example'/><received xmlns='urn:example' id='z'/></message>"))
        #expect(!other.requestsReceipt && other.receiptFor == nil)
    }

    @Test("a message from an invalid address is refused with the reason")
    func invalidAddress() throws {
        let element = try Self.parse("<message from='a b@example.com'><body>x</body></message>")
        #expect(throws: StanzaParseError.invalidAddress(attribute: "from", value: "a b@example.com", reason: .forbiddenCharacter(.node, " "))) {
            try Message(element: element)
        }
    }

    @Test("presence is written with show, status and type only when they are not the defaults", arguments: [
        (Presence.Kind.available, Presence.Show.available, nil, "<presence from='queue@refdesk.example.org' to='alice@library.example.org'/>"),
        (.available, .chat, "Ask us anything", "<presence from='queue@refdesk.example.org' to='alice@library.example.org'><show>chat</show><status>Ask us anything</status></presence>"),
        (.available, .dnd, nil, "<presence from='queue@refdesk.example.org' to='alice@library.example.org'><show>dnd</show></presence>"),
        (.unavailable, .available, "Closed", "<presence from='queue@refdesk.example.org' to='alice@library.example.org' type='unavailable'><status>Closed</status></presence>"),
        (.subscribe, .available, nil, "<presence from='queue@refdesk.example.org' to='alice@library.example.org' type='subscribe'/>"),
        (.subscribed, .available, nil, "<presence from='queue@refdesk.example.org' to='alice@library.example.org' type='subscribed'/>"),
        (.unsubscribe, .available, nil, "<presence from='queue@refdesk.example.org' to='alice@library.example.org' type='unsubscribe'/>"),
        (.probe, .available, nil, "<presence from='queue@refdesk.example.org' to='alice@library.example.org' type='probe'/>"),
    ] as [(Presence.Kind, Presence.Show, String?, String)])
    func buildPresence(type: Presence.Kind, show: Presence.Show, status: String?, expected: String) throws {
        let presence = Presence(
            from: try JID("queue@refdesk.example.org"), to: try JID("alice@library.example.org"),
            type: type, show: show, status: status)
        #expect(Self.wire(presence.element) == expected)
        #expect(try Presence(element: Self.parse(expected)) == presence)
    }

    @Test("received presence reports show, status, priority and type", arguments: [
        ("<presence from='a@b.example/r'/>", Presence.Kind.available, Presence.Show.available),
        ("<presence from='a@b.example/r'><show>chat</show></presence>", .available, .chat),
        ("<presence from='a@b.example/r'><show>away</show></presence>", .available, .away),
        ("<presence from='a@b.example/r'><show>xa</show></presence>", .available, .xa),
        ("<presence from='a@b.example/r'><show>dnd</show><priority>-1</priority></presence>", .available, .dnd),
        ("<presence from='a@b.example/r' type='unavailable'/>", .unavailable, .available),
        ("<presence from='a@b.example' type='subscribe'/>", .subscribe, .available),
        ("<presence from='a@b.example' type='unsubscribed'/>", .unsubscribed, .available),
        ("<presence from='a@b.example' type='probe'/>", .probe, .available),
    ] as [(String, Presence.Kind, Presence.Show)])
    func readPresence(text: String, type: Presence.Kind, show: Presence.Show) throws {
        let presence = try Presence(element: Self.parse(text))
        #expect(presence.type == type)
        #expect(presence.show == show)
    }

    @Test("presence with an undefined show, type or priority is refused", arguments: [
        ("<presence><show>busy</show></presence>", StanzaParseError.invalidValue(field: "show", value: "busy")),
        ("<presence type='invisible'/>", .invalidValue(field: "type", value: "invisible")),
        ("<presence type='available'/>", .invalidValue(field: "type", value: "available")),
        ("<presence><priority>300</priority></presence>", .invalidValue(field: "priority", value: "300")),
    ])
    func invalidPresence(text: String, expected: StanzaParseError) throws {
        let element = try Self.parse(text)
        #expect(throws: expected) { try Presence(element: element) }
    }

    @Test("an unknown iq get is answered with service-unavailable, addresses swapped, same id")
    func iqErrorReply() throws {
        let iq = try IQ(element: Self.parse(
            "<iq type='get' from='alice@library.example.org/desk' to='refdesk.example.org' id='v1'>"
                + "<query xmlns='jabber:iq:version'/></iq>"))
        #expect(iq.payload?.namespace == "jabber:iq:version")
        let reply = try #require(iq.errorReply())
        #expect(Self.wire(reply.element)
            == "<iq from='refdesk.example.org' id='v1' to='alice@library.example.org/desk' type='error'>"
            + "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
    }

    @Test("results and errors are never answered, so errors cannot ping-pong")
    func noReplyToResults() throws {
        #expect(try IQ(element: Self.parse("<iq type='result' id='1'/>")).errorReply() == nil)
        #expect(try IQ(element: Self.parse("<iq type='error' id='2'/>")).errorReply() == nil)
        #expect(try IQ(element: Self.parse("<iq type='set' id='3'/>")).errorReply() != nil)
    }

    @Test("an iq without id or with an unknown type is refused")
    func invalidIQ() throws {
        let noID = try Self.parse("<iq type='get'/>")
        #expect(throws: StanzaParseError.missing("the iq 'id' attribute")) { try IQ(element: noID) }
        let badType = try Self.parse("<iq type='fetch' id='1'/>")
        #expect(throws: StanzaParseError.invalidValue(field: "type", value: "fetch")) { try IQ(element: badType) }
    }

    @Test("incoming stanzas are sorted by kind")
    func sorting() throws {
        let stanzas = ParserHarness.stanzas(try ParserHarness.eventsWhole(StanzaCorpus.stream))
        let kinds = try stanzas.map { stanza -> String in
            switch try IncomingStanza(element: stanza) {
            case .message: return "message"
            case .presence: return "presence"
            case .iq: return "iq"
            case .other(let element): return "other:" + element.name
            }
        }
        #expect(kinds.filter { $0 == "message" }.count == 8)
        #expect(kinds.filter { $0 == "presence" }.count == 5)
        #expect(kinds.filter { $0 == "iq" }.count == 3)
        #expect(kinds.contains("other:handshake"))
        #expect(kinds.contains("other:error"))
    }
}

@Suite("Chat states (XEP-0085)")
struct ChatStateTests {
    @Test(arguments: Message.ChatState.allCases)
    func `a standalone chat state survives writing and reading`(state: Message.ChatState) throws {
        let message = Message.chatState(state, from: try JID("patron@refdesk.example.org"), to: try JID("alice@example.org/desk"))
        #expect(message.body == nil)
        #expect(message.type == .chat)
        let element = message.element
        #expect(element.child(named: state.rawValue, namespace: "http://jabber.org/protocol/chatstates") != nil)
        #expect(try Message(element: element).chatState == state)
    }

    @Test func `a chat state in another namespace is not one`() throws {
        var element = Message(from: nil, to: nil, body: nil).element
        element.append(XMLElement(name: "composing", namespace: "urn:example:other"))
        #expect(try Message(element: element).chatState == nil)
    }

    @Test func `a message with a body may carry a chat state too`() throws {
        var element = Message.chat(from: try JID("a@b"), to: try JID("c@d"), body: "hi").element
        element.append(XMLElement(name: "active", namespace: "http://jabber.org/protocol/chatstates"))
        let message = try Message(element: element)
        #expect(message.body == "hi" && message.chatState == .active)
    }
}
