import Testing
import XMPP

@Suite("Stream parser: the same bytes give the same stanzas however they are split")
struct StreamParserSplitTests {
    @Test("the corpus parsed whole yields the stream header, every stanza in order, and the close")
    func corpusWhole() throws {
        let events = try ParserHarness.eventsWhole(StanzaCorpus.stream)
        #expect(events.count == StanzaCorpus.stanzas.count + 2)
        guard case .streamOpened(let attributes) = events.first else {
            Issue.record("first event is not the stream opening: \(String(describing: events.first))")
            return
        }
        #expect(attributes["id"] == "3BF96D32")
        #expect(attributes["from"] == "refdesk.example.org")
        #expect(attributes["xml:lang"] == "en")
        #expect(events.last == .streamClosed)
        #expect(ParserHarness.stanzas(events).count == StanzaCorpus.stanzas.count)
    }

    @Test("feeding one byte at a time gives exactly the events of feeding everything at once")
    func byteByByte() throws {
        let whole = try ParserHarness.eventsWhole(StanzaCorpus.stream)
        let single = try ParserHarness.eventsByteByByte(StanzaCorpus.stream)
        #expect(single == whole)
    }

    @Test("seeded random splits give exactly the events of feeding everything at once", arguments: [
        (UInt64(1), 7), (2, 64), (3, 300), (42, 3), (2024, 4096), (0xDEAD_BEEF, 17), (7, 1500), (99, 2),
    ])
    func randomSplits(seed: UInt64, maximumPiece: Int) throws {
        let whole = try ParserHarness.eventsWhole(StanzaCorpus.stream)
        let split = try ParserHarness.eventsInRandomPieces(StanzaCorpus.stream, seed: seed, maximumPiece: maximumPiece)
        #expect(split == whole, "seed \(seed), pieces up to \(maximumPiece) bytes")
    }

    @Test("each corpus stanza is reported whole, with entities, CDATA and UTF-8 decoded")
    func corpusContent() throws {
        let stanzas = ParserHarness.stanzas(try ParserHarness.eventsWhole(StanzaCorpus.stream))
        try #require(stanzas.count == StanzaCorpus.stanzas.count)

        #expect(stanzas[0].name == "message")
        #expect(stanzas[0].namespace == XMPPNamespace.component)
        #expect(stanzas[0][attribute: "to"] == "+15551234567@refdesk.example.org")
        #expect(stanzas[0].child(named: "body")?.text == "Hi! Which book were you looking for?")

        #expect(stanzas[1][attribute: "id"] == "a&b")
        #expect(stanzas[1].child(named: "body")?.text == "Tom & Jerry <3 \"quoted\" 'single' ☺ ☃")

        #expect(stanzas[2].child(named: "body")?.text == "Café, 図書館, 📚📖, e\u{301}, Ελληνικά")
        #expect(stanzas[3].child(named: "body")?.text == "if (a < b && c > d) { return \"<ok>\"; }")
        #expect(stanzas[4].child(named: "composing", namespace: "http://jabber.org/protocol/chatstates") != nil)
        #expect(stanzas[6].child(named: "status")?[attribute: "xml:lang"] == "fr")
        #expect(stanzas[12].child(named: "query")?.child(named: "version")?.text == "0.12.4")
        #expect(stanzas[14] == XMLElement(name: "handshake", namespace: XMPPNamespace.component))
        #expect(stanzas[16][attribute: "id"] == "x\ty\nz")
        #expect(stanzas[16].child(named: "body")?.text == "line one\nline two\nline three")
        #expect(stanzas[17].name == "error")
        #expect(stanzas[17].namespace == XMPPNamespace.streams)
    }

    @Test("text split by entity references and chunk boundaries is merged into one text node")
    func textIsMerged() throws {
        let text = StanzaCorpus.serverHeader + "<message><body>a&amp;b&#x1F4DA;c</body></message>"
        for events in [try ParserHarness.eventsWhole(text), try ParserHarness.eventsByteByByte(text)] {
            let body = ParserHarness.stanzas(events).first?.child(named: "body")
            #expect(body?.children == [.text("a&b📚c")])
        }
    }

    @Test("a stream with no XML declaration and Prosody's attribute order opens the same way")
    func headerWithoutDeclaration() throws {
        let events = try ParserHarness.eventsWhole(
            "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='c.example'>")
        #expect(events == [.streamOpened(attributes: ["id": "abc", "from": "c.example"])])
    }

    @Test("events arrive as soon as each stanza is complete, not at the end of the stream")
    func eventsAreIncremental() throws {
        var parser = XMPPStreamParser()
        #expect(try parser.feed(Array(StanzaCorpus.serverHeader.utf8)).count == 1)
        #expect(try parser.feed(Array("<presence from='a@b'/><message><bo".utf8)).count == 1)
        #expect(try parser.feed(Array("dy>hi</body></message>".utf8)).count == 1)
        #expect(try parser.feed(Array("</stream:stream>".utf8)) == [.streamClosed])
    }

    @Test("a long-lived stream keeps only the current stanza: pending bytes stay bounded")
    func memoryDoesNotGrowWithStreamLength() throws {
        var parser = XMPPStreamParser()
        _ = try parser.feed(Array(StanzaCorpus.serverHeader.utf8))
        let stanza = Array("<message type='chat' from='alice@library.example.org/desk' to='q@refdesk.example.org'><body>hello there</body></message> ".utf8)
        var count = 0
        var largestPending = 0
        for _ in 0..<20_000 {
            count += ParserHarness.stanzas(try parser.feed(stanza)).count
            largestPending = max(largestPending, parser.pendingByteCount)
        }
        #expect(count == 20_000)
        #expect(largestPending < 4096, "pending bytes reached \(largestPending)")
    }
}
