import OSCAR
import Testing

/// Builds the frames a server would send, numbering them as servers do (from 100).
struct ScriptedServer {
    var sequence: UInt16 = 100

    mutating func hello() -> FLAPFrame {
        frame(.signOn, bytes("00 00 00 01"))
    }

    mutating func snac(_ message: some SNACMessage, requestID: UInt32 = SNAC.serverInitiatedRequestID) throws -> FLAPFrame {
        frame(.snac, try SNAC(message, requestID: requestID).encoded())
    }

    mutating func error(family: UInt16, code: UInt16, requestID: UInt32) -> FLAPFrame {
        let snac = SNAC(family: family, subtype: SNAC.errorSubtype, requestID: requestID, data: [UInt8(code >> 8), UInt8(code & 0xFF)])
        return frame(.snac, snac.encoded())
    }

    mutating func signOff(reason: UInt16? = nil) throws -> FLAPFrame {
        frame(.signOff, try SignOffPayload(reason: reason, url: nil).encoded())
    }

    mutating func frame(_ channel: FLAPChannel, _ payload: [UInt8]) -> FLAPFrame {
        defer { sequence &+= 1 }
        return FLAPFrame(channel: channel, sequence: sequence, payload: payload)
    }
}

/// The frames among `actions`, in order.
func sentFrames(_ actions: [ClientSessionAction]) -> [FLAPFrame] {
    actions.compactMap { action in
        if case let .send(frame) = action { return frame }
        return nil
    }
}

/// The family/subtype of each SNAC sent among `actions`.
func sentKinds(_ actions: [ClientSessionAction]) throws -> [SNACKind] {
    try sentFrames(actions).map { frame in
        let snac = try SNAC(frame: frame)
        return SNACKind(family: snac.family, subtype: snac.subtype)
    }
}

@Suite("Client session")
struct ClientSessionTests {
    static let configuration = ClientSession.Configuration(
        screenName: "RefDesk", password: "secret", clientID: "refdesk", buddies: ["Alice"], initialSequence: 0x0100
    )
    static let cookie = [UInt8](repeating: 0xC0, count: 256)
    static let rates = RateParametersReply(
        classes: [RateLimiterTests.imClass],
        groups: [RateGroup(classID: 1, members: [SNACKind(family: 4, subtype: 6)])]
    )

    /// Walks a session through login and sign-on, checking each step, and returns it online.
    static func signedOn(server: inout ScriptedServer) throws -> ClientSession {
        var session = ClientSession(configuration: configuration)
        #expect(session.state == .authConnecting)
        #expect(session.connectionEstablished() == [])

        // The server greets; the client greets back and asks for the login key.
        var actions = session.received(server.hello())
        #expect(try sentFrames(actions).map { try $0.encoded() } == [
            bytes("2A 01 01 00 00 04 00 00 00 01"),
            bytes("2A 02 01 01 00 15  00 17 00 06 00 00 00 00 00 01  00 01 00 07") + ascii("RefDesk"),
        ])
        #expect(session.state == .awaitingKey)

        // The key arrives; the login carries the strong hash of it.
        actions = session.received(try server.snac(BUCPKeyReply(key: ascii("1234567890")), requestID: 1))
        let login = try #require(sentFrames(actions).first)
        #expect(login.sequence == 0x0102)
        let request = try SNAC(frame: login).decode(as: BUCPLoginRequest.self)
        #expect(request.screenName == "RefDesk")
        #expect(hexString(request.passwordHash) == "054b2494f6d223078f90b1d1333b757f")
        #expect(request.strongHash)
        #expect(session.state == .awaitingLoginReply)

        // Success: connect to BOS; the authorization server's parting sign-off is expected.
        let reply = BUCPLoginReply(screenName: "RefDesk", outcome: .success(bosAddress: "bos.local:5191", cookie: cookie))
        actions = session.received(try server.snac(reply, requestID: 2))
        #expect(actions == [.connectBOS(host: "bos.local", port: 5191, cookie: cookie)])
        #expect(session.state == .bosConnecting)
        #expect(session.received(try server.signOff()) == [])

        // The BOS connection: sequence numbers restart, the cookie is presented.
        server = ScriptedServer(sequence: 200)
        #expect(session.connectionEstablished() == [])
        #expect(session.state == .signingOn(.awaitingServerHello))
        actions = session.received(server.hello())
        #expect(try sentFrames(actions).map { try $0.encoded() } == [
            bytes("2A 01 01 00 01 08  00 00 00 01  00 06 01 00") + cookie,
        ])

        actions = session.received(try server.snac(HostOnline(families: [1, 2, 3, 4, 9])))
        #expect(try sentKinds(actions) == [SNACKind(family: 1, subtype: 0x17)])
        #expect(session.received(try server.snac(MessageOfTheDay(kind: 4))) == [])
        actions = session.received(try server.snac(HostVersions(versions: ClientVersions.instantMessaging.versions)))
        #expect(try sentKinds(actions) == [SNACKind(family: 1, subtype: 0x06)])
        #expect(session.state == .signingOn(.awaitingRateClasses))

        // Rate classes: everything up to client ready goes out, then the session is online.
        actions = session.received(try server.snac(rates))
        #expect(actions.first == .rateLimitsReceived(rates))
        #expect(actions.last == .online)
        #expect(try sentKinds(actions) == [
            SNACKind(family: 0x01, subtype: 0x08), SNACKind(family: 0x01, subtype: 0x0E),
            SNACKind(family: 0x02, subtype: 0x02), SNACKind(family: 0x03, subtype: 0x02),
            SNACKind(family: 0x04, subtype: 0x04), SNACKind(family: 0x09, subtype: 0x02),
            SNACKind(family: 0x02, subtype: 0x04), SNACKind(family: 0x04, subtype: 0x02),
            SNACKind(family: 0x03, subtype: 0x04), SNACKind(family: 0x01, subtype: 0x02),
            SNACKind(family: 0x04, subtype: 0x10),
        ])
        let frames = sentFrames(actions)
        #expect(frames.map(\.sequence) == Array(0x0103...0x010D))
        #expect(try SNAC(frame: frames[0]).data == bytes("00 01"))
        #expect(try SNAC(frame: frames[8]).decode(as: BuddyAdd.self).screenNames == ["Alice"])
        #expect(session.state == .online)
        return session
    }

    @Test func `a full login, IM receive, IM send and sign-off`() throws {
        var server = ScriptedServer()
        var session = try Self.signedOn(server: &server)

        // Own info tells how the server spells the name.
        let ownInfo = OwnInfoReply(userInfo: UserInfo(screenName: "Ref Desk"))
        #expect(session.received(try server.snac(ownInfo, requestID: 2)) == [])
        #expect(session.ownInfo?.screenName == "Ref Desk")

        // A stored message, the end of stored messages, then a live one.
        let stored = try ICBMIncomingMessage(
            cookie: 1, sender: UserInfo(screenName: "alice"), body: ICBMMessageBody(text: "sent last night"), offlineSentAt: 1_700_000_000
        )
        #expect(session.received(try server.snac(stored)) == [
            .deliverIncoming(cookie: 1, from: "Alice", text: "sent last night", sentAt: 1_700_000_000, offline: true),
        ])
        #expect(session.received(try server.snac(OfflineMessagesDone())) == [])
        let live = try ICBMIncomingMessage(
            cookie: 2, sender: UserInfo(screenName: "A lice"), body: ICBMMessageBody(text: "<HTML><BODY>hi &amp; bye</BODY></HTML>")
        )
        let delivered = session.received(try server.snac(live))
        #expect(delivered == [.deliverIncoming(cookie: 2, from: "alice", text: "hi & bye", sentAt: nil, offline: false)])
        if case let .deliverIncoming(_, from, _, _, _) = delivered.first {
            #expect(from.displayName == "A lice")
        }

        // Sending: the HTML AIM clients write, acknowledged by cookie.
        let send = try session.sendMessage(to: "Alice", text: "ok", cookie: 0x0102_0304_0506_0708)
        let frame = try #require(sentFrames(send).first)
        #expect(try frame.encoded() == bytes("2A 02 01 0E 00 51  00 04 00 06 00 00 00 00 00 10")
            + bytes("01 02 03 04 05 06 07 08  00 01  05") + ascii("Alice")
            + bytes("00 02 00 2B  05 01 00 03 01 01 02  01 01 00 20 00 00 00 00") + ascii("<HTML><BODY>ok</BODY></HTML>")
            + bytes("00 03 00 00  00 06 00 00"))
        let ack = ICBMServerAck(cookie: 0x0102_0304_0506_0708, screenName: "Alice")
        #expect(session.received(try server.snac(ack, requestID: 0x10)) == [.messageAccepted(cookie: 0x0102_0304_0506_0708)])

        let escaped = try session.sendMessage(to: "Alice", text: "a < b\nc", cookie: 9)
        let body = try SNAC(frame: #require(sentFrames(escaped).first)).decode(as: ICBMSendMessage.self).body
        #expect(body.text == "<HTML><BODY>a &lt; b<BR>c</BODY></HTML>")

        // Keepalive, then sign off.
        #expect(session.keepalive() == [.send(FLAPFrame(channel: .keepalive, sequence: 0x0110, payload: []))])
        #expect(session.signOff() == [.send(FLAPFrame(channel: .signOff, sequence: 0x0111, payload: []))])
        #expect(session.state == .signedOff)
        #expect(session.received(try server.snac(live)) == [])
        #expect(session.connectionClosed() == [])
    }

    @Test func `an IM to an offline user is reported against its cookie`() throws {
        var server = ScriptedServer()
        var session = try Self.signedOn(server: &server)
        let send = try session.sendMessage(to: "Bob", text: "hello", cookie: 77, storeIfOffline: false)
        let requestID = try SNAC(frame: #require(sentFrames(send).first)).requestID
        let actions = session.received(server.error(family: 4, code: SNACError.recipientNotLoggedIn, requestID: requestID))
        #expect(actions == [.messageRejected(cookie: 77, error: SNACError(family: 4, code: 4))])
        #expect(session.state == .online)
    }

    @Test func `buddy arrivals and departures are reported`() throws {
        var server = ScriptedServer()
        var session = try Self.signedOn(server: &server)
        #expect(session.received(try server.snac(BuddyArrived(users: [UserInfo(screenName: "alice")]))) == [.buddyOnline("Alice")])
        #expect(session.received(try server.snac(BuddyDeparted(users: [UserInfo(screenName: "alice")]))) == [.buddyOffline("Alice")])
    }

    @Test func `a malformed IM is skipped and the session stays online`() throws {
        var server = ScriptedServer()
        var session = try Self.signedOn(server: &server)
        let broken = server.frame(.snac, bytes("00 04 00 07 00 00 00 00 00 00  01 02 03"))
        let actions = session.received(broken)
        #expect(actions == [.discardedMalformed(
            family: 4, subtype: 7, error: .truncated(field: "ICBM cookie", needed: 8, available: 3)
        )])
        #expect(session.state == .online)
    }

    @Test func `a malformed rate reply while signing on fails the session`() throws {
        var server = ScriptedServer()
        var session = ClientSession(configuration: Self.configuration)
        _ = session.received(server.hello())
        _ = session.received(try server.snac(BUCPKeyReply(key: ascii("k"))))
        _ = session.received(try server.snac(BUCPLoginReply(screenName: nil, outcome: .success(bosAddress: "h:1", cookie: [1]))))
        _ = session.connectionEstablished()
        _ = session.received(server.hello())
        _ = session.received(try server.snac(HostOnline(families: [1])))
        _ = session.received(try server.snac(HostVersions(versions: [])))
        let actions = session.received(server.frame(.snac, bytes("00 01 00 07 00 00 00 00 00 00  00 01 00 01")))
        guard case let .failed(.protocolError(detail), retryable)? = actions.first else {
            Issue.record("expected a protocol failure, got \(actions)")
            return
        }
        #expect(detail.contains("0x0001/0x0007"))
        #expect(retryable)
    }

    @Test(arguments: [
        (LoginErrorCode.invalidPassword, false),
        (.invalidNameOrPassword, false),
        (.suspended, false),
        (.rateLimited, true),
    ])
    func `a refused login fails, retryable only when transient`(code: LoginErrorCode, retryable: Bool) throws {
        var server = ScriptedServer()
        var session = ClientSession(configuration: Self.configuration)
        _ = session.received(server.hello())
        _ = session.received(try server.snac(BUCPKeyReply(key: ascii("k"))))
        let failure = BUCPLoginReply(screenName: "RefDesk", outcome: .failure(code: code.rawValue, url: nil))
        let actions = session.received(try server.snac(failure))
        #expect(actions == [.failed(.loginRejected(code, url: nil), retryable: retryable)])
        #expect(session.state == .failed(.loginRejected(code, url: nil)))
    }

    @Test func `an unknown screen name refused at the key request is not retried`() throws {
        var server = ScriptedServer()
        var session = ClientSession(configuration: Self.configuration)
        _ = session.received(server.hello())
        let failure = BUCPLoginReply(screenName: nil, outcome: .failure(code: 0x0001, url: "http://x"))
        let actions = session.received(try server.snac(failure))
        #expect(actions == [.failed(.loginRejected(.invalidNameOrPassword, url: "http://x"), retryable: false)])
    }

    @Test func `a connection closed before the login reply is a retryable failure`() throws {
        var server = ScriptedServer()
        var session = ClientSession(configuration: Self.configuration)
        _ = session.received(server.hello())
        _ = session.received(try server.snac(BUCPKeyReply(key: ascii("k"))))
        let actions = session.connectionClosed()
        #expect(actions == [.failed(.connectionLost(phase: "waiting for the login reply"), retryable: true)])
    }

    @Test(arguments: [(UInt16?.none, true), (SignOffPayload.signedOnElsewhere, false)])
    func `a server sign-off while online ends the session`(reason: UInt16?, retryable: Bool) throws {
        var server = ScriptedServer()
        var session = try Self.signedOn(server: &server)
        let actions = session.received(try server.signOff(reason: reason))
        #expect(actions == [.failed(.signedOffByServer(reason: reason, url: nil), retryable: retryable)])
        #expect(session.keepalive() == [])
    }

    @Test func `sending before the session is online is refused`() {
        var session = ClientSession(configuration: Self.configuration)
        #expect(throws: ClientSessionError.notOnline(state: "connecting to the authorization server")) {
            try session.sendMessage(to: "Alice", text: "hi", cookie: 1)
        }
    }

    @Test func `sequence numbers wrap within 15 bits`() {
        var configuration = Self.configuration
        configuration.initialSequence = 0x7FFF
        var session = ClientSession(configuration: configuration)
        var server = ScriptedServer()
        let frames = sentFrames(session.received(server.hello()))
        #expect(frames.map(\.sequence) == [0x7FFF, 0x0000])
    }

    @Test func `failure reasons read as sentences`() {
        #expect(SessionFailure.loginRejected(.invalidPassword, url: nil).description == "login rejected: invalid password (0x0005)")
        #expect(SessionFailure.signedOffByServer(reason: 1, url: nil).description == "signed off by the server: reason 0x0001")
    }
}

@Test func `a configuration never prints its password`() {
    let text = "\(ClientSessionTests.configuration)"
    #expect(text.contains("RefDesk"))
    #expect(!text.contains("secret"))
}

@Suite("Client session: notices, typing, limits")
struct ClientSessionNoticeTests {
    static func online() throws -> (ClientSession, ScriptedServer) {
        var server = ScriptedServer()
        let session = try ClientSessionTests.signedOn(server: &server)
        return (session, server)
    }

    @Test func `a server's notice from its system sender with cookie 0 is a notice, not a patron's IM`() throws {
        var (session, server) = try Self.online()
        let html = "You just received 1 IM(s) while you were offline. Go to <a href=\"https://x.example/s\">IM Settings</a>."
        let notice = try ICBMIncomingMessage(cookie: 0, sender: UserInfo(screenName: "OOS System Msg"), body: ICBMMessageBody(text: html))
        #expect(session.received(try server.snac(notice)) == [.deliverNotice(
            from: "OOS System Msg", text: "You just received 1 IM(s) while you were offline. Go to IM Settings (https://x.example/s)."
        )])
    }

    @Test(arguments: [
        (UInt64(0), "Pat Ron"),          // the zero cookie no client picks
        (UInt64(0x1234), "AOL System Msg"),  // AOL's system sender
        (UInt64(0x1234), "aolsystemmsg"),
        (UInt64(7), "Campus SystemMsg"),
    ])
    func `either mark of a notice is enough`(cookie: UInt64, sender: String) throws {
        var (session, server) = try Self.online()
        let message = try ICBMIncomingMessage(cookie: cookie, sender: UserInfo(screenName: sender), body: ICBMMessageBody(text: "notice"))
        #expect(session.received(try server.snac(message)) == [.deliverNotice(from: ScreenName(sender), text: "notice")])
    }

    @Test func `a person whose name merely mentions a system is a patron`() throws {
        var (session, server) = try Self.online()
        let message = try ICBMIncomingMessage(cookie: 5, sender: UserInfo(screenName: "System Msg Fan"), body: ICBMMessageBody(text: "hi"))
        #expect(session.received(try server.snac(message)) == [.deliverIncoming(cookie: 5, from: "System Msg Fan", text: "hi", sentAt: nil, offline: false)])
    }

    @Test func `typing notifications are read and written as 0x04 0x14`() throws {
        var (session, server) = try Self.online()
        let typing = ICBMTypingNotification(screenName: "Pat Ron", event: .typing)
        #expect(session.received(try server.snac(typing)) == [.typingReceived(from: "patron", event: .typing)])
        let sent = try session.sendTypingNotification(to: "Pat Ron", event: .paused)
        let frame = try #require(sentFrames(sent).first)
        #expect(try SNAC(frame: frame).data == bytes("00 00 00 00 00 00 00 00  00 01  07") + ascii("Pat Ron") + bytes("00 01"))
        #expect(try SNAC(frame: frame).decode(as: ICBMTypingNotification.self) == ICBMTypingNotification(screenName: "Pat Ron", event: .paused))
    }

    @Test func `the ICBM parameters give the longest message the server takes`() throws {
        var (session, server) = try Self.online()
        let reply = ICBMParametersReply(parameters: ICBMParameters(
            channel: 100, flags: 3, maximumSNACSize: 512, maximumSenderWarningLevel: 999, maximumReceiverWarningLevel: 999,
            minimumMessageInterval: 0
        ))
        #expect(try reply.encodedBytes() == bytes("00 64  00 00 00 03  02 00  03 E7  03 E7  00 00 00 00"))
        #expect(session.received(try server.snac(reply, requestID: 5)) == [.messageLimitReceived(maximumMessageLength: 512)])
    }

    @Test func `a rate change notice is read with or without its version-2 tail`() throws {
        var (session, server) = try Self.online()
        var rateClass = RateLimiterTests.imClass.with(id: 3)
        rateClass.currentLevel = 4411
        let notice = RateChangeNotice(code: .alert, rateClass: rateClass)
        #expect(session.received(try server.snac(notice)) == [.rateChanged(notice)])
        let short = server.frame(.snac, SNAC(family: 1, subtype: 0x0A, requestID: SNAC.serverInitiatedRequestID, data: Array(try notice.encodedBytes().dropLast(5))).encoded())
        #expect(session.received(short) == [.rateChanged(notice)])
    }

    @Test func `typing cannot be sent before the session is online`() {
        var session = ClientSession(configuration: ClientSessionTests.configuration)
        #expect(throws: ClientSessionError.self) { try session.sendTypingNotification(to: "x", event: .typing) }
    }
}

extension SNACMessage {
    func encodedBytes() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(into: &bytes)
        return bytes
    }
}
