import Testing
@testable import RefdeskCore

@Suite("Loop guard")
struct LoopGuardTests {
    static func guardForDesk() throws -> LoopGuard {
        LoopGuard(
            gateways: [
                Gateway(id: 1, protocol: .twilio, account: "+1 (555) 000-1111", queue: "reference"),
                Gateway(id: 2, protocol: .aim, account: "My Library@aol.com", queue: "reference"),
                Gateway(id: 3, protocol: .other("gtalk"), account: "ask.library@gmail.com", queue: "reference"),
            ],
            staffingJIDs: [try BareJID(parsing: "alice.w@gmail.com")]
        )
    }

    @Test(
        "a gateway account already in use is refused, whatever its spelling",
        arguments: [
            (GatewayProtocol.twilio, "15550001111"),
            (GatewayProtocol.twilio, "(555) 000-1111"),
            (GatewayProtocol.aim, "mylibrary"),
            (GatewayProtocol.aim, "MY LIBRARY"),
            (GatewayProtocol.other("gtalk"), "Ask.Library@gmail.com"),
            (GatewayProtocol.other("gtalk"), "Alice.W@gmail.com"),
            (GatewayProtocol.other("xmpp"), "alice.w@gmail.com/phone"),
        ]
    )
    func gatewayCollisions(protocol gatewayProtocol: GatewayProtocol, account: String) throws {
        let loopGuard = try Self.guardForDesk()
        #expect(throws: ConfigurationError.accountInUse) {
            try loopGuard.checkGatewayAccount(account, protocol: gatewayProtocol)
        }
        #expect(ConfigurationError.accountInUse.message == "That account is already in use")
    }

    @Test("a fresh gateway account is accepted, and a gateway may keep its own account")
    func freshAccount() throws {
        let loopGuard = try Self.guardForDesk()
        try loopGuard.checkGatewayAccount("+15550002222", protocol: .twilio)
        try loopGuard.checkGatewayAccount("Other Library", protocol: .aim)
        try loopGuard.checkGatewayAccount("555-000-1111", protocol: .twilio, replacing: 1)
    }

    @Test("a malformed gateway account is refused with the normalisation reason")
    func malformedAccount() throws {
        let loopGuard = try Self.guardForDesk()
        #expect(throws: ConfigurationError("'call us' is not a valid phone number: it contains 'c', which is neither a digit nor a separator")) {
            try loopGuard.checkGatewayAccount("call us", protocol: .twilio)
        }
    }

    @Test("a staffing JID that is a gateway account or another staffing JID is refused")
    func staffingCollisions() throws {
        let loopGuard = try Self.guardForDesk()
        #expect(throws: ConfigurationError.accountInUse) { try loopGuard.checkStaffingJID(try BareJID(parsing: "Ask.Library@Gmail.com")) }
        #expect(throws: ConfigurationError.accountInUse) { try loopGuard.checkStaffingJID(try BareJID(parsing: "alice.w@gmail.com/laptop")) }
        try loopGuard.checkStaffingJID(try BareJID(parsing: "bob@library.example.org"))
    }

    @Test("inbound senders that are gateways or staff are dropped; patrons are accepted normalised")
    func screening() throws {
        let loopGuard = try Self.guardForDesk()
        #expect(loopGuard.screenSender("+1 555 000 1111", protocol: .twilio) == .drop(reason: "sender +15550001111 is the account of gateway 1; dropped to avoid a loop"))
        #expect(loopGuard.screenSender("alice.w@gmail.com/Talk", protocol: .other("gtalk")) == .drop(reason: "sender alice.w@gmail.com is a staffing JID; dropped to avoid a loop"))
        #expect(loopGuard.screenSender("(555) 123-4567", protocol: .twilio) == .accept(address: "+15551234567"))
        #expect(loopGuard.screenSender("Some Patron", protocol: .aim) == .accept(address: "somepatron"))
        #expect(loopGuard.screenSender("", protocol: .twilio) == .drop(reason: "sender '' is not a valid phone number: it is empty"))
    }

    @Test("a message from another gateway's address is dropped")
    func anotherGatewayWrites() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        _ = desk.board.handle(.configure(.addGateway(Gateway(id: 3, protocol: .twilio, account: "+15550003333", queue: Desk.archives)), at: t(1)))
        let actions = desk.text(from: "+1 555 000 3333", "auto-reply from another library line", at: t(10))
        #expect(actions.offers.isEmpty)
        #expect(actions.stored.isEmpty)
        #expect(actions.dropReasons == ["message SM1 on gateway 1: sender +15550003333 is the account of gateway 3; dropped to avoid a loop"])
        #expect(desk.board.openConversations.isEmpty)
    }

    @Test("a message on an unknown gateway is dropped")
    func unknownGateway() throws {
        var desk = try Desk()
        #expect(desk.text(from: "+15551234567", "hi", via: 99, at: t(0)).dropReasons == ["message SM1 on gateway 99: there is no such gateway"])
    }
}

@Suite("Ping-pong")
struct PingPongTests {
    @Test("the detector needs more turns than the limit inside the window")
    func detector() {
        var detector = PingPongDetector(policy: PingPongPolicy(maximumTurns: 3, window: .seconds(10)))
        let id: ConversationID = 1
        // One side alone is not ping-pong.
        let oneSided = (Int64(0)..<6).map { detector.record(.patron, in: id, at: t($0)) }
        #expect(!oneSided.contains(true))
        detector.forget(id)
        // A librarian's long answer in many quick lines after one question is one turn, not ping-pong.
        let burst = [detector.record(.patron, in: id, at: t(0))]
            + (Int64(1)...50).map { detector.record(.operator, in: id, at: t(0) + .milliseconds($0 * 50)) }
        #expect(!burst.contains(true))
        detector.forget(id)
        // Both sides, slowly: never more than 3 turns in 10 s.
        let slow = (Int64(0)..<10).map { detector.record($0.isMultiple(of: 2) ? .patron : .operator, in: id, at: t($0 * 3)) }
        #expect(!slow.contains(true))
        detector.forget(id)
        // Both sides, fast: the fourth turn (fifth message) within the window trips it.
        let sides: [PingPongDetector.Side] = [.patron, .operator, .patron, .operator, .patron]
        let fast = sides.enumerated().map { detector.record($1, in: id, at: t(Int64($0))) }
        #expect(fast == [false, false, false, false, true])
    }

    @Test("a ping-pong conversation is cut off, both sides are told once, and the patron is muted for the cool-down")
    func cutOff() throws {
        var desk = try Desk(pingPong: PingPongPolicy(maximumTurns: 3, window: .seconds(10), cooldown: .seconds(60)))
        desk.staff(desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "ping", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "pong", at: t(10) + .milliseconds(100))
        desk.text(from: "+15551234567", "ping", at: t(10) + .milliseconds(200))
        desk.reply(from: desk.bob, in: id, "pong", at: t(10) + .milliseconds(300))
        let cut = desk.text(from: "+15551234567", "ping", at: t(10) + .milliseconds(400))

        let ended = try #require(cut.changedConversations.first)
        #expect(ended.id == id)
        #expect(ended.state == .completed)
        #expect(cut.notifications.map(\.jid) == [desk.bob])
        #expect(cut.notifications[0].text.contains("cut off"))
        // The librarian reads it in the patron's window, from the patron's address.
        #expect(cut.contains { if case .notifyOperator(_, id, desk.patron("+15551234567"), _) = $0 { true } else { false } })
        #expect(cut.toPatrons.map(\.patron) == [desk.patron("+15551234567")])
        #expect(cut.toPatrons[0].text == Switchboard.cutOffNotice(pause: "1 min"))
        #expect(cut.dropReasons == ["conversation \(id) cut off: more than 3 turns within 10000 ms"])

        // Later lines are dropped without another notice: nothing a bot could answer.
        let muted = desk.text(from: "+15551234567", "ping", at: t(20))
        #expect(muted.offers.isEmpty)
        #expect(muted.toPatrons.isEmpty)
        #expect(muted.dropReasons.count == 1)
        #expect(desk.text(from: "+15551234567", "hello again", at: t(75)).newConversationID != nil)
    }
}

@Suite("Accounts across AIM and XMPP")
struct CrossNetworkAccountTests {
    @Test(
        "an AIM screen name and the JID AOL gave it are one account, in either order",
        arguments: [
            ("frankdesk@aol.com", "frankdesk@aol.com"), ("Frank Desk", "frankdesk@aim.com"), ("frankdesk", "FrankDesk@AOL.com"),
            ("someone@mac.com", "someone@mac.com"),
        ]
    )
    func aimAndXMPP(screenName: String, jid: String) throws {
        let aim = try AccountKey(protocol: .aim, address: screenName)
        let xmpp = AccountKey(staffing: try BareJID(parsing: jid))
        #expect(aim.isSameAccount(as: xmpp))
        let withGateway = LoopGuard(gateways: [Gateway(id: 1, protocol: .aim, account: screenName, queue: "ask")], staffingJIDs: [])
        #expect(throws: ConfigurationError.accountInUse) { try withGateway.checkStaffingJID(try BareJID(parsing: jid)) }
        let withStaff = LoopGuard(gateways: [], staffingJIDs: [try BareJID(parsing: jid)])
        #expect(throws: ConfigurationError.accountInUse) { try withStaff.checkGatewayAccount(screenName, protocol: .aim) }
        #expect(withStaff.screenSender(screenName, protocol: .aim) != .accept(address: try GatewayProtocol.aim.normalise(screenName)))
    }

    @Test("other domains and other names stay apart")
    func distinct() throws {
        let aim = try AccountKey(protocol: .aim, address: "frankdesk@aol.com")
        #expect(!aim.isSameAccount(as: AccountKey(staffing: try BareJID(parsing: "frankdesk@example.org"))))
        #expect(!aim.isSameAccount(as: AccountKey(staffing: try BareJID(parsing: "otherdesk@aol.com"))))
        let sms = try AccountKey(protocol: .twilio, address: "+15550001111")
        #expect(sms.equivalents == [sms])
        #expect(aim.xmppDomains.sorted() == ["aim.com", "aol.com"])
    }
}
