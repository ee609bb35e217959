import Testing
@testable import RefdeskCore

@Suite("Configuration")
struct ConfigurationTests {
    @Test("the desk configuration is valid")
    func validates() throws {
        try Desk.configuration().validate()
    }

    @Test("a configuration using a gateway account as a staffing JID is invalid")
    func invalidConfiguration() throws {
        var configuration = try Desk.configuration()
        configuration.gateways.append(Gateway(id: 9, protocol: .other("gtalk"), account: "Alice.W@gmail.com", queue: Desk.reference))
        #expect(throws: ConfigurationError.accountInUse) { try configuration.validate() }
    }

    @Test("adding a staffing JID that is a gateway account is refused with LibraryH3lp's words")
    func staffingJIDInUse() throws {
        var desk = try Desk()
        _ = desk.board.handle(.configure(.addGateway(Gateway(id: 3, protocol: .other("gtalk"), account: "ask.library@gmail.com", queue: Desk.reference)), at: t(0)))
        let change = ConfigurationChange.addStaffingJID(try BareJID(parsing: "Ask.Library@gmail.com"), operator: "bob")
        #expect(throws: ConfigurationError.accountInUse) { try desk.board.check(change) }
        #expect(desk.board.handle(.configure(change, at: t(1))) == [.configurationRefused(change, reason: "That account is already in use")])
    }

    @Test(
        "changes that name missing things or break rules are refused with a precise reason",
        arguments: [
            (ConfigurationChange.assign("zoe", queue: "reference"), "There is no operator named zoe"),
            (.assign("bob", queue: "music"), "There is no queue named music"),
            (.addGateway(Gateway(id: 1, protocol: .twilio, account: "+15559990000", queue: "reference")), "A gateway with id 1 already exists"),
            (.addGateway(Gateway(id: 7, protocol: .aim, account: "Our Library", queue: "music")), "There is no queue named music"),
            (.addGateway(Gateway(id: 7, protocol: .aim, account: "mylibrary", queue: "archives")), "That account is already in use"),
            (.removeGateway(77), "There is no gateway with id 77"),
            (.addOperator("bob"), "An operator named bob already exists"),
            (.putQueue(QueueConfiguration(name: "busy", routing: .leastBusy(limit: 0))), "The least-busy limit 0 of queue busy must be at least 1"),
        ]
    )
    func refusals(change: ConfigurationChange, reason: String) throws {
        var desk = try Desk()
        #expect(desk.board.handle(.configure(change, at: t(0))) == [.configurationRefused(change, reason: reason)])
    }

    @Test("a gateway added to an online queue comes online at once; one removed is signed off")
    func gatewaysFollowOnAddAndRemove() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let gateway = Gateway(id: 5, protocol: .twilio, account: "+15550005555", queue: Desk.reference)
        #expect(desk.board.handle(.configure(.addGateway(gateway), at: t(10))) == [.setGatewayOnline(5, online: true)])
        #expect(desk.board.handle(.configure(.removeGateway(5), at: t(11))) == [.setGatewayOnline(5, online: false)])
        // A gateway on an offline queue stays offline.
        let archive = Gateway(id: 6, protocol: .twilio, account: "+15550006666", queue: Desk.archives)
        #expect(desk.board.handle(.configure(.addGateway(archive), at: t(12))).isEmpty)
        #expect(desk.board.configuration.gateways.map(\.id) == [1, 2, 6])
    }

    @Test("removing a gateway ends its open conversations")
    func removingAGatewayEndsItsChats() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let id = try #require(desk.text(from: "Some Patron", "hi", via: Desk.aim, at: t(10)).newConversationID)
        let actions = desk.board.handle(.configure(.removeGateway(Desk.aim), at: t(20)))
        #expect(actions.first == .setGatewayOnline(Desk.aim, online: false))
        #expect(actions.changedConversations.map(\.id) == [id])
        #expect(actions.changedConversations.map(\.state) == [.completed])
        #expect(desk.board.openConversations.isEmpty)
    }

    @Test("assigning an available operator brings the queue online; unassigning takes it offline")
    func assignments() throws {
        var desk = try Desk()
        desk.staff(desk.dave, at: t(0))
        #expect(!desk.board.isOnline(Desk.reference))
        _ = desk.board.handle(.configure(.assign("dave", queue: Desk.reference), at: t(10)))
        #expect(desk.tick(at: t(12)).queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: true)])
        _ = desk.board.handle(.configure(.unassign("dave", queue: Desk.reference), at: t(20)))
        #expect(desk.tick(at: t(22)).queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: false)])
    }

    @Test("a new staffing JID counts for its operator once it shows presence; a removed one stops counting")
    func staffingJIDs() throws {
        var desk = try Desk()
        let tablet = try FullJID(parsing: "bob.tablet@example.net/ipad")
        _ = desk.board.handle(.configure(.addStaffingJID(tablet.bare, operator: "bob"), at: t(0)))
        desk.presence(tablet, .available, at: t(1))
        #expect(desk.board.isRoutable("bob"))
        _ = desk.board.handle(.configure(.removeStaffingJID(tablet.bare, operator: "bob"), at: t(2)))
        #expect(!desk.board.isRoutable("bob"))
    }

    @Test("canned reply names are one word and differ by more than case")
    func cannedReplyNames() throws {
        var configuration = try Desk.configuration()
        configuration.cannedReplies = ["hours": "9 to 5", "Hours": "nine to five"]
        #expect(throws: ConfigurationError("The canned replies Hours and hours differ only in case")) { try configuration.validate() }
        configuration.cannedReplies = ["opening hours": "9 to 5"]
        #expect(throws: ConfigurationError("The canned reply name \"opening hours\" must be one word")) { try configuration.validate() }
    }

    @Test("the library's time zone must be known to the converter")
    func libraryTimeZone() throws {
        var configuration = try Desk.configuration()
        configuration.timeZone = "Europe/Nowhere"
        try configuration.validate()
        #expect(throws: ConfigurationError("Unknown time zone Europe/Nowhere")) { try configuration.validate(timeZones: FixedOffsetTimeZones.utc) }
    }
}
