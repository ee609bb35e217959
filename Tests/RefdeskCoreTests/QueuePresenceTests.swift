import Testing
@testable import RefdeskCore

@Suite("Queue presence")
struct QueuePresenceTests {
    @Test("a queue is online while one assigned operator is available or chatty", arguments: [Show.available, .chat])
    func routableShowsBringTheQueueOnline(show: Show) throws {
        var desk = try Desk()
        desk.presence(desk.bob, show, at: t(0))
        let actions = desk.tick(at: t(2))
        #expect(actions.queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: true)])
        #expect(desk.board.isOnline(Desk.reference))
        #expect(!desk.board.isOnline(Desk.archives))
    }

    @Test("away, xa and dnd are not routable", arguments: [Show.away, .xa, .dnd])
    func unroutableShowsLeaveTheQueueOffline(show: Show) throws {
        var desk = try Desk()
        desk.presence(desk.bob, show, at: t(0))
        #expect(desk.tick(at: t(10)).queuePresenceChanges.isEmpty)
        #expect(!desk.board.isOnline(Desk.reference))
        #expect(!desk.board.isRoutable("bob"))
    }

    @Test("an operator assigned elsewhere does not bring the queue online")
    func onlyAssignedOperatorsCount() throws {
        var desk = try Desk()
        desk.presence(desk.dave, .available, at: t(0))
        #expect(desk.tick(at: t(5)).queuePresenceChanges == [.queuePresenceChanged(Desk.archives, online: true)])
        #expect(!desk.board.isOnline(Desk.reference))
    }

    @Test("any routable resource of any staffing JID makes the operator routable")
    func anyResourceCounts() throws {
        var desk = try Desk()
        desk.presence(desk.aliceDesk, .away, at: t(0))
        #expect(!desk.board.isRoutable("alice"))
        desk.presence(desk.alicePhone, .chat, at: t(1))
        #expect(desk.board.isRoutable("alice"))
        desk.presence(desk.alicePhone, nil, at: t(2))
        #expect(!desk.board.isRoutable("alice"))
    }

    @Test("the change is reported only after the settle time, on a tick")
    func settleTime() throws {
        var desk = try Desk()
        desk.presence(desk.bob, .available, at: t(0))
        #expect(desk.tick(at: t(0) + .milliseconds(1_999)).queuePresenceChanges.isEmpty)
        #expect(desk.tick(at: t(2)).queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: true)])
    }

    @Test("a blip shorter than the settle time emits nothing")
    func blip() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        desk.presence(desk.bob, .away, at: t(10))
        #expect(desk.tick(at: t(11)).queuePresenceChanges.isEmpty)
        desk.presence(desk.bob, .available, at: t(11) + .milliseconds(500))
        #expect(desk.tick(at: t(13)).queuePresenceChanges.isEmpty)
        #expect(desk.tick(at: t(20)).queuePresenceChanges.isEmpty)
        #expect(desk.board.isOnline(Desk.reference))
    }

    @Test("a real change emits one presenceChanged")
    func realChange() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        desk.presence(desk.bob, nil, at: t(10))
        var changes: [Action] = []
        for second in Int64(10)...20 { changes += desk.tick(at: t(second)).queuePresenceChanges }
        #expect(changes == [.queuePresenceChanged(Desk.reference, online: false)])
    }

    @Test("gateways follow their queue")
    func gatewaysFollowTheQueue() throws {
        var desk = try Desk()
        desk.presence(desk.bob, .available, at: t(0))
        let online = desk.tick(at: t(3))
        #expect(online.contains(.setGatewayOnline(Desk.sms, online: true)))
        #expect(online.contains(.setGatewayOnline(Desk.aim, online: true)))
        desk.presence(desk.bob, .dnd, at: t(10))
        let offline = desk.tick(at: t(13))
        #expect(offline.contains(.setGatewayOnline(Desk.sms, online: false)))
        #expect(offline.contains(.setGatewayOnline(Desk.aim, online: false)))
    }

    @Test("the settle time is configurable")
    func configurableSettleTime() throws {
        var configuration = try Desk.configuration()
        configuration.settleTime = .seconds(30)
        var board = Switchboard(configuration: configuration)
        let bob = try FullJID(parsing: "bob@library.example.org/desk")
        _ = board.handle(.presence(jid: bob.bare, resource: bob.resource, show: .available, at: t(0)))
        #expect(board.handle(.tick(at: t(29))).queuePresenceChanges.isEmpty)
        #expect(board.handle(.tick(at: t(30))).queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: true)])
    }

    @Test("presence from JIDs that are not staff is ignored")
    func strangersAreIgnored() throws {
        var desk = try Desk()
        let stranger = try FullJID(parsing: "mallory@example.net/x")
        #expect(desk.presence(stranger, .available, at: t(0)).isEmpty)
        #expect(desk.tick(at: t(5)).queuePresenceChanges.isEmpty)
    }
}
