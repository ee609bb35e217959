import Testing
import XMPP

@Suite("Stream parser: malformed and hostile input is refused and kills the parser")
struct StreamParserRejectionTests {
    static let header = StanzaCorpus.serverHeader

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Feeds whole and byte by byte; both must fail, and with the same error.
    static func rejection(_ bytes: [UInt8], limits: XMPPStreamLimits = XMPPStreamLimits()) -> XMPPStreamError? {
        let whole = ParserHarness.error(bytes, limits: limits)
        let single = ParserHarness.error(bytes, pieces: Array(repeating: 1, count: bytes.count), limits: limits)
        #expect(whole == single, "whole: \(String(describing: whole)), byte by byte: \(String(describing: single))")
        return whole
    }

    @Test("mismatched and unclosed tags are malformed XML", arguments: [
        "<message><body>hi</message>",
        "<message></presence>",
        "<message><body>unclosed</stream:stream>",
        "<message to='a@b' to='c@d'/>",
        "<message to=unquoted/>",
        "<message><body>a < b</body></message>",
    ])
    func malformed(stanza: String) {
        let error = Self.rejection(Self.bytes(Self.header + stanza))
        guard case .malformedXML(_, let line, _, let message) = error else {
            Issue.record("expected malformedXML, got \(String(describing: error))")
            return
        }
        #expect(line >= 1)
        #expect(!message.isEmpty)
    }

    @Test("invalid UTF-8 is refused at the offending byte offset", arguments: [
        [0xFF],  // never valid
        [0xC0, 0x80],  // overlong NUL
        [0xED, 0xA0, 0x80],  // UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xE2, 0x82, 0x41],  // truncated sequence
        [0x80],  // stray continuation byte
        [0x00],  // NUL
    ] as [[UInt8]])
    func invalidUTF8(bad: [UInt8]) {
        let prefix = Self.bytes(Self.header + "<message><body>ok ")
        let input = prefix + bad + Self.bytes("</body></message>")
        let error = Self.rejection(input)
        guard case .invalidUTF8(let offset) = error else {
            Issue.record("expected invalidUTF8, got \(String(describing: error))")
            return
        }
        #expect(offset >= prefix.count && offset < prefix.count + bad.count)
    }

    @Test("a UTF-16 stream cannot make the parser switch encodings")
    func utf16IsRefused() {
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("<stream:stream/>".utf8).flatMap { [$0, 0] }
        #expect(Self.rejection(utf16) == .invalidUTF8(offset: 0))
    }

    @Test("an XML declaration naming another encoding does not change how UTF-8 is read")
    func declaredEncodingIgnored() throws {
        let text = "<?xml version='1.0' encoding='ISO-8859-1'?>"
            + "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>"
            + "<message><body>Café</body></message>"
        let stanzas = ParserHarness.stanzas(try ParserHarness.eventsWhole(text))
        #expect(stanzas.first?.child(named: "body")?.text == "Café")
    }

    @Test("a document type declaration is refused before anything in it is processed")
    func doctypeRefused() {
        let error = Self.rejection(Self.bytes("<?xml version='1.0'?><!DOCTYPE stream:stream><stream:stream/>"))
        #expect(error == .documentTypeDeclaration(name: "stream:stream"))
    }

    @Test("billion laughs is refused at the DOCTYPE, without expanding anything")
    func billionLaughs() {
        var dtd = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        var previous = "lol"
        for level in 1...9 {
            dtd += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">"
            previous = "lol\(level)"
        }
        dtd += "]>"
        let text = dtd + "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message><body>&lol9;</body></message>"
        let clock = ContinuousClock()
        let start = clock.now
        let error = Self.rejection(Self.bytes(text))
        #expect(error == .documentTypeDeclaration(name: "lolz"))
        #expect(clock.now - start < .seconds(5))
    }

    @Test("billion laughs inside an open stream (no DTD allowed there) is malformed XML, not expanded")
    func billionLaughsAfterStreamOpened() {
        let text = Self.header + "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;\">]><message><body>&lol1;</body></message>"
        let error = Self.rejection(Self.bytes(text))
        guard case .malformedXML = error else {
            Issue.record("expected malformedXML, got \(String(describing: error))")
            return
        }
    }

    @Test("external entities (XXE) are refused: no file is read, no network is touched")
    func externalEntity() {
        let text = "<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
            + "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message><body>&xxe;</body></message>"
        #expect(Self.rejection(Self.bytes(text)) == .documentTypeDeclaration(name: "stream"))

        let external = "<?xml version='1.0'?><!DOCTYPE stream SYSTEM \"http://attacker.invalid/evil.dtd\"><stream:stream/>"
        #expect(Self.rejection(Self.bytes(external)) == .documentTypeDeclaration(name: "stream"))
    }

    @Test("references to undeclared entities are refused; the five predefined ones are fine")
    func undeclaredEntity() throws {
        let error = Self.rejection(Self.bytes(Self.header + "<message><body>&xxe;</body></message>"))
        guard case .undeclaredEntity(let message) = error else {
            Issue.record("expected undeclaredEntity, got \(String(describing: error))")
            return
        }
        #expect(message.contains("xxe"))
        let fine = try ParserHarness.eventsWhole(Self.header + "<message><body>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;</body></message>")
        #expect(ParserHarness.stanzas(fine).first?.child(named: "body")?.text == "<>&\"'AB")
    }

    @Test("processing instructions are refused before and inside the stream", arguments: [
        ("<?xml version='1.0'?><?xml-stylesheet href='evil.xsl'?><stream:stream/>", "xml-stylesheet"),
        (header + "<message><?php system('id'); ?></message>", "php"),
    ])
    func processingInstruction(text: String, target: String) {
        #expect(Self.rejection(Self.bytes(text)) == .processingInstruction(target: target))
    }

    @Test("comments are refused (restricted XML)")
    func comment() {
        #expect(Self.rejection(Self.bytes(Self.header + "<message><!-- hidden --></message>")) == .comment)
    }

    @Test("a stanza larger than the limit is refused, even before it is complete")
    func oversizedStanza() throws {
        let limits = XMPPStreamLimits(maximumStanzaBytes: 1024)
        let big = Self.header + "<message><body>" + String(repeating: "x", count: 2000) + "</body></message>"
        #expect(Self.rejection(Self.bytes(big), limits: limits) == .stanzaTooLarge(limit: 1024))

        let unterminatedTag = Self.header + "<message to='" + String(repeating: "a", count: 5000)
        #expect(Self.rejection(Self.bytes(unterminatedTag), limits: limits) == .stanzaTooLarge(limit: 1024))

        let fits = Self.header + "<message><body>" + String(repeating: "x", count: 900) + "</body></message>"
        #expect(ParserHarness.stanzas(try ParserHarness.eventsWhole(fits, limits: limits)).count == 1)
    }

    @Test("many small stanzas in one read are not mistaken for one big one")
    func manySmallStanzasInOneRead() throws {
        let limits = XMPPStreamLimits(maximumStanzaBytes: 1024)
        let text = Self.header + String(repeating: "<presence from='a@b.example/r'><show>dnd</show></presence>", count: 500)
        #expect(ParserHarness.stanzas(try ParserHarness.eventsWhole(text, limits: limits)).count == 500)
    }

    @Test("nesting deeper than the limit is refused")
    func tooDeep() {
        let limits = XMPPStreamLimits(maximumDepth: 8)
        let nested = Self.header + String(repeating: "<a>", count: 9) + String(repeating: "</a>", count: 9)
        #expect(Self.rejection(Self.bytes(nested), limits: limits) == .nestingTooDeep(limit: 8))
    }

    @Test("the stream must open with <stream:stream> in the streams namespace")
    func wrongRoot() {
        #expect(Self.rejection(Self.bytes("<html><body/></html>")) == .unexpectedStreamRoot(name: "html", namespace: ""))
        #expect(Self.rejection(Self.bytes("<stream:stream xmlns:stream='urn:wrong'>"))
            == .unexpectedStreamRoot(name: "stream", namespace: "urn:wrong"))
    }

    @Test("whitespace between stanzas is a keepalive; other text there is refused")
    func textBetweenStanzas() throws {
        #expect(try ParserHarness.eventsWhole(Self.header + " \n\t \r\n ").count == 1)
        #expect(Self.rejection(Self.bytes(Self.header + "hello<message/>")) == .textOutsideStanza)
    }

    @Test("bytes after </stream:stream> are refused")
    func dataAfterClose() throws {
        var parser = XMPPStreamParser()
        #expect(try parser.feed(Self.bytes(Self.header + "</stream:stream>")).last == .streamClosed)
        #expect(throws: XMPPStreamError.dataAfterStreamClose) { try parser.feed(Self.bytes("<message/>")) }
    }

    @Test("after an error the parser stays dead and repeats the first error")
    func deadAfterError() throws {
        var parser = XMPPStreamParser()
        _ = try parser.feed(Self.bytes(Self.header))
        #expect(throws: XMPPStreamError.comment) { try parser.feed(Self.bytes("<!-- x -->")) }
        #expect(parser.failure == .comment)
        #expect(throws: XMPPStreamError.comment) { try parser.feed(Self.bytes("<message/>")) }
    }

    @Test("every error explains itself")
    func descriptions() {
        #expect(XMPPStreamError.stanzaTooLarge(limit: 262_144).description == "stanza exceeds the maximum size of 262144 bytes")
        #expect(XMPPStreamError.invalidUTF8(offset: 17).description.contains("offset 17"))
        #expect(XMPPStreamError.documentTypeDeclaration(name: "lolz").description.contains("<!DOCTYPE lolz>"))
    }
}
