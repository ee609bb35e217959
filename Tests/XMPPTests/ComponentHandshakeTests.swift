import Testing
import XMPP

@Suite("XEP-0114 handshake")
struct ComponentHandshakeTests {
    @Test("the hash is lowercase hex SHA-1 of stream id followed by secret", arguments: [
        ("a", "bc", "a9993e364706816aba3e25717850c26c9cd0d89d"),  // SHA-1("abc"), FIPS 180 vector
        ("", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),  // SHA-1("")
        ("abcdbcdecdefdefgefghfghighij", "hijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    ])
    func hashVectors(streamID: String, secret: String, expected: String) {
        #expect(ComponentHandshake.hash(streamID: streamID, secret: secret) == expected)
    }

    @Test("the hash depends on the order: id first, then secret")
    func order() {
        #expect(ComponentHandshake.hash(streamID: "3BF96D32", secret: "s3cr3t")
            != ComponentHandshake.hash(streamID: "s3cr3t", secret: "3BF96D32"))
    }

    @Test("the stream header is the XEP-0114 opening addressed to the component domain")
    func header() {
        #expect(ComponentHandshake.streamHeader(componentDomain: "refdesk.example.org")
            == "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='refdesk.example.org'>")
        #expect(ComponentHandshake.streamHeader(componentDomain: "a'b").hasSuffix("to='a&apos;b'>"))
    }

    @Test("the handshake element carries the hash as text")
    func handshakeElement() {
        let element = ComponentHandshake.handshakeElement(hash: "abc123")
        #expect(String(decoding: element.streamBytes, as: UTF8.self) == "<handshake>abc123</handshake>")
    }
}
