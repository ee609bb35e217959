import Testing
@testable import RefdeskCore

@Suite("Offline inbox")
struct OfflineInboxTests {
    @Test("three messages to an offline queue: stored, one auto-reply; delivered oldest first with their age when an operator comes online")
    func storedAndDelivered() throws {
        var desk = try Desk()
        let patron = desk.patron("+15551234567")
        let first = desk.text(from: "+1 555 123 4567", "Are you open Sunday?", at: t(0))
        let second = desk.text(from: "15551234567", "And Monday?", at: t(60))
        let third = desk.text(from: "+15551234567", "Thanks!", at: t(120))

        #expect(first.stored.map(\.text) == ["Are you open Sunday?"])
        #expect(second.stored.map(\.text) == ["And Monday?"])
        #expect(third.stored.map(\.text) == ["Thanks!"])
        let replies = (first + second + third).toPatrons
        #expect(replies.map(\.text) == [Desk.offlineReply])
        #expect(replies.map(\.patron) == [patron])
        #expect(desk.board.offlineInbox.count == 3)

        // Two hours and five minutes after the first message, bob signs in.
        let signIn = t(0) + .seconds(2 * 3600 + 5 * 60)
        desk.presence(desk.bob, .available, at: signIn)
        let online = desk.tick(at: signIn + .seconds(2))

        #expect(online.queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: true)])
        let delivered = online.compactMap { action -> UInt64? in
            if case .deliverOffline(let id, _) = action { return id }
            return nil
        }
        #expect(delivered == (first + second + third).stored.map(\.id))
        #expect(
            online.offers.map(\.messages) == [
                [
                    "(sent 2 h 5 min ago) Are you open Sunday?",
                    "(sent 2 h 4 min ago) And Monday?",
                    "(sent 2 h 3 min ago) Thanks!",
                ]
            ]
        )
        #expect(online.offers.map(\.jid) == [desk.bob])
        #expect(desk.board.offlineInbox.isEmpty)
    }

    @Test("a message sent while the operator is back but the queue not yet reported online waits behind the patron's earlier ones")
    func newMessageWaitsBehindTheInbox() throws {
        var desk = try Desk()
        desk.text(from: "+15551234567", "first", at: t(0))
        desk.presence(desk.bob, .available, at: t(100))
        // Within the settle time: bob is available, the queue is not reported online yet.
        let early = desk.text(from: "+15551234567", "second", at: t(100) + .milliseconds(500))
        #expect(early.stored.map(\.text) == ["second"], "it waits in the inbox behind the first")
        #expect(early.offers.isEmpty)
        let online = desk.tick(at: t(103))
        #expect(online.offers.map(\.messages) == [["(sent 1 min ago) first", "(sent just now) second"]])
        #expect(desk.board.offlineInbox.isEmpty)
        // Another patron with nothing waiting is not held back.
        desk.presence(desk.bob, nil, at: t(200))
        desk.tick(at: t(203))
        desk.presence(desk.bob, .available, at: t(300))
        #expect(desk.text(from: "+15550000009", "new patron", at: t(300) + .milliseconds(500)).stored.isEmpty)
    }

    @Test("messages from different patrons become separate conversations, oldest first")
    func oldestFirst() throws {
        var desk = try Desk()
        desk.text(from: "+15550000002", "second patron, later", sentAt: t(50), at: t(100))
        desk.text(from: "+15550000001", "first patron, earlier", sentAt: t(10), at: t(101))
        desk.presence(desk.bob, .available, at: t(3600))
        let offers = desk.tick(at: t(3602)).offers
        #expect(offers.map(\.messages) == [["(sent 59 min ago) first patron, earlier"], ["(sent 59 min ago) second patron, later"]])
        #expect(offers[0].conversation < offers[1].conversation)
    }

    @Test("the offline reply is sent once per offline spell, not once per message")
    func oncePerSpell() throws {
        var desk = try Desk()
        #expect(desk.text(from: "+15551234567", "one", at: t(0)).toPatrons.count == 1)
        #expect(desk.text(from: "+15551234567", "two", at: t(1)).toPatrons.isEmpty)
        // Another patron gets their own reply.
        #expect(desk.text(from: "+15557654321", "hi", at: t(2)).toPatrons.count == 1)

        // The queue comes online and goes offline again: a new spell.
        desk.staff(desk.bob, at: t(10))
        desk.presence(desk.bob, nil, at: t(100))
        desk.tick(at: t(103))
        #expect(!desk.board.isOnline(Desk.reference))
        #expect(desk.text(from: "+15551234567", "three", at: t(200)).toPatrons.map(\.text) == [Desk.offlineReply])
    }

    @Test("a queue without an offline reply stores the message silently")
    func noOfflineReply() throws {
        var desk = try Desk()
        _ = desk.board.handle(.configure(.putQueue(QueueConfiguration(name: Desk.reference, offlineReply: nil)), at: t(0)))
        let actions = desk.text(from: "+15551234567", "hello", at: t(1))
        #expect(actions.stored.count == 1)
        #expect(actions.toPatrons.isEmpty)
    }

    @Test("during a blip the queue still counts as online: the message waits as a new chat instead of going to the inbox")
    func blipIsNotOffline() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        desk.presence(desk.bob, .away, at: t(10))
        let arrival = desk.text(from: "+15551234567", "hello", at: t(11))
        #expect(arrival.stored.isEmpty)
        #expect(arrival.toPatrons.isEmpty)
        let id = try #require(arrival.newConversationID)
        #expect(desk.presence(desk.bob, .available, at: t(11) + .milliseconds(500)).offers.map(\.conversation) == [id])
    }

    @Test("the age is measured from when the patron sent it, when the gateway knows")
    func ageFromSentAt() throws {
        var desk = try Desk()
        desk.text(from: "+15551234567", "queued at the carrier", sentAt: t(0), at: t(600))
        desk.presence(desk.bob, .available, at: t(3600))
        #expect(desk.tick(at: t(3602)).offers.first?.messages == ["(sent 1 h ago) queued at the carrier"])
    }
}
