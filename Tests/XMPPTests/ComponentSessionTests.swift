import Testing
import XMPP

@Suite("Component session state machine")
struct ComponentSessionTests {
    static let domain = "refdesk.example.org"
    static let secret = "s3cr3t"
    static let serverHeader = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
        + "xmlns='jabber:component:accept' from='refdesk.example.org' id='3BF96D32'>"

    /// Runs server bytes through a real parser into the session, as the I/O layer will.
    static func deliver(_ text: String, to session: inout ComponentSession, parser: inout XMPPStreamParser) -> [ComponentSession.Action] {
        do {
            return session.handle(events: try parser.feed(Array(text.utf8)))
        } catch {
            return session.handle(.parseFailed(error))
        }
    }

    static func sent(_ actions: [ComponentSession.Action]) -> [String] {
        actions.compactMap { action in
            if case .send(let bytes) = action { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
    }

    static func failure(_ actions: [ComponentSession.Action]) -> ComponentFailure? {
        for case .failed(let failure) in actions { return failure }
        return nil
    }

    @Test("happy path: header, handshake with the hash of id+secret, <handshake/>, then stanzas")
    func happyPath() throws {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        #expect(session.state == .idle)

        let opening = session.handle(.connected)
        #expect(Self.sent(opening) == [ComponentHandshake.streamHeader(componentDomain: Self.domain)])
        #expect(session.state == .awaitingStreamHeader)

        let handshake = Self.deliver(Self.serverHeader, to: &session, parser: &parser)
        let hash = try #require(ComponentHandshake.hash(streamID: "3BF96D32", secret: Self.secret))
        #expect(Self.sent(handshake) == ["<handshake>\(hash)</handshake>"])
        #expect(session.state == .awaitingHandshakeReply(streamID: "3BF96D32"))
        #expect(!session.isAuthenticated)

        #expect(Self.deliver("<handshake/>", to: &session, parser: &parser) == [.authenticated(streamID: "3BF96D32")])
        #expect(session.isAuthenticated)

        let actions = Self.deliver(
            "<message type='chat' from='alice@library.example.org/desk' to='q@refdesk.example.org'><body>hi</body></message>",
            to: &session, parser: &parser)
        guard case .stanzaReceived(let element) = actions.first, actions.count == 1 else {
            Issue.record("expected one received stanza, got \(actions)")
            return
        }
        #expect(element.child(named: "body")?.text == "hi")
    }

    @Test("a server stream error is decoded into the failure, and our stream is closed", arguments: [
        ("not-authorized", StreamErrorCondition.notAuthorized),
        ("conflict", .conflict),
        ("host-unknown", .hostUnknown),
        ("system-shutdown", .systemShutdown),
    ])
    func streamErrorDuringHandshake(name: String, condition: StreamErrorCondition) {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        _ = session.handle(.connected)
        _ = Self.deliver(Self.serverHeader, to: &session, parser: &parser)
        let actions = Self.deliver(
            "<stream:error><\(name) xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>go away</text></stream:error></stream:stream>",
            to: &session, parser: &parser)
        let expected = ComponentFailure.streamError(StreamError(condition: condition, text: "go away"))
        #expect(actions == [.send(Array("</stream:stream>".utf8)), .failed(expected)])
        #expect(session.state == .failed(expected))
    }

    @Test("a stream error after authentication ends the session (another component took over)")
    func streamErrorWhenAuthenticated() {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        _ = session.handle(.connected)
        _ = Self.deliver(Self.serverHeader + "<handshake/>", to: &session, parser: &parser)
        #expect(session.isAuthenticated)
        let actions = Self.deliver(
            "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", to: &session, parser: &parser)
        #expect(Self.failure(actions) == .streamError(StreamError(condition: .conflict)))
    }

    @Test("a server header without an id cannot be answered")
    func missingStreamID() {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        _ = session.handle(.connected)
        let actions = Self.deliver(
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>",
            to: &session, parser: &parser)
        #expect(Self.failure(actions) == .missingStreamID)
    }

    @Test("a stanza instead of <handshake/> is a protocol violation")
    func unexpectedStanza() {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        _ = session.handle(.connected)
        let actions = Self.deliver(Self.serverHeader + "<message/>", to: &session, parser: &parser)
        #expect(Self.failure(actions) == .protocolViolation("received <message> while awaiting <handshake/>"))
    }

    @Test("malformed server XML tells the server why, closes, and fails")
    func malformedServerXML() {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        _ = session.handle(.connected)
        let actions = Self.deliver(Self.serverHeader + "<!-- x -->", to: &session, parser: &parser)
        #expect(Self.failure(actions) == .malformedStream(.comment))
        let sent = Self.sent(actions)
        #expect(sent.first?.hasPrefix("<stream:error><restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") == true)
        #expect(sent.last == "</stream:stream>")
    }

    @Test("the server closing its stream or the connection dropping ends the session")
    func closedAndDisconnected() {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        var parser = XMPPStreamParser()
        _ = session.handle(.connected)
        let closed = Self.deliver(Self.serverHeader + "<handshake/></stream:stream>", to: &session, parser: &parser)
        #expect(Self.failure(closed) == .streamClosedByServer)

        var other = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        _ = other.handle(.connected)
        #expect(other.handle(.disconnected) == [.failed(.disconnected)])
    }

    @Test("after a failure nothing more happens until the next connection, which starts over")
    func reconnect() {
        var session = ComponentSession(componentDomain: Self.domain, secret: Self.secret)
        _ = session.handle(.connected)
        _ = session.handle(.disconnected)
        #expect(session.handle(.streamEvent(.stanza(XMLElement(name: "handshake", namespace: XMPPNamespace.component)))) == [])
        #expect(Self.sent(session.handle(.connected)) == [ComponentHandshake.streamHeader(componentDomain: Self.domain)])
        #expect(session.state == .awaitingStreamHeader)
    }

    @Test("describing a session never reveals the secret")
    func descriptionHidesSecret() {
        let session = ComponentSession(componentDomain: Self.domain, secret: "hunter2-very-secret")
        #expect(!session.description.contains("hunter2"))
        #expect(!String(describing: session).contains("hunter2"))
    }
}
