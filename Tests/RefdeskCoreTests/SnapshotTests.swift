import Foundation
import Testing
@testable import RefdeskCore

@Suite("Snapshot and restore")
struct SnapshotTests {
    /// A desk with a bit of everything: an ongoing chat, an offered and a waiting
    /// least-busy chat, a muted patron, and an offline inbox with an auto-reply already sent.
    static func busyDesk() throws -> Desk {
        var desk = try Desk(routing: .leastBusy(limit: 2), pingPong: PingPongPolicy(maximumTurns: 1, window: .seconds(5), cooldown: .seconds(600)))
        // Archives is offline: its new gateway collects an offline message.
        _ = desk.board.handle(.configure(.addGateway(Gateway(id: 3, protocol: .twilio, account: "+15550003333", queue: Desk.archives)), at: t(0)))
        desk.text(from: "+15557770000", "archive question", via: 3, at: t(1))
        desk.staff(desk.bob, at: t(2))
        // A ping-pong patron is cut off and muted.
        let loop = try #require(desk.text(from: "+15550000009", "ping", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: loop, "pong", at: t(11))
        #expect(!desk.text(from: "+15550000009", "ping", at: t(11)).dropReasons.isEmpty)
        // bob owns one chat, is offered a second, and a third waits for a free slot.
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(20)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: t(21))
        desk.text(from: "+15557654321", "offered", at: t(22))
        desk.text(from: "+15552223333", "waiting", at: t(23))
        return desk
    }

    @Test("snapshot → restore gives the same behaviour")
    func sameBehaviour() throws {
        var original = try Self.busyDesk()
        let snapshot = original.board.snapshot
        #expect(snapshot.conversations.map(\.state) == [.ongoing, .new, .new])
        #expect(snapshot.offlineInbox.count == 1)
        #expect(snapshot.autoReplied.count == 1)
        #expect(snapshot.muted.count == 1)
        #expect(snapshot.reportedOnline[Desk.reference] == true)

        var restored = try Desk(configuration: original.board.configuration, snapshot: snapshot)
        #expect(restored.board.snapshot == snapshot)

        // After a restart the XMPP server sends presence again.
        restored.presence(restored.bob, .available, at: t(30))
        original.presence(original.bob, .available, at: t(30))

        let script: [Event] = [
            .patronMessage(PatronMessage(gatewayID: 1, sender: "+15551234567", body: "thanks", messageID: "a", receivedAt: t(31))),
            .patronMessage(PatronMessage(gatewayID: 1, sender: "+15550000009", body: "ping", messageID: "b", receivedAt: t(32))),
            .patronMessage(PatronMessage(gatewayID: 3, sender: "+15557770000", body: "hello?", messageID: "c", receivedAt: t(33))),
            .patronMessage(PatronMessage(gatewayID: 1, sender: "+15558880000", body: "new patron", messageID: "d", receivedAt: t(34))),
            .presence(jid: restored.carol.bare, resource: restored.carol.resource, show: .available, at: t(35)),
            .tick(at: t(40)),
            .presence(jid: restored.dave.bare, resource: restored.dave.resource, show: .available, at: t(41)),
            .tick(at: t(45)),
            .closeConversation(2, at: t(50)),
        ]
        var all: [Action] = []
        for event in script {
            let expected = original.board.handle(event)
            #expect(restored.board.handle(event) == expected, "\(event)")
            all += expected
        }
        // The script exercised the restored state: the owner, the mute, the inbox, the waiting chat.
        #expect(all.toOperators.map(\.text) == ["thanks"])
        #expect(all.dropReasons.count == 1)
        #expect(Set(all.offers.map(\.operator)) == ["carol", "dave"])
        #expect(all.changedConversations.contains { $0.id == 2 && $0.state == .completed })
        #expect(original.board.snapshot == restored.board.snapshot)
    }

    @Test("a restored switchboard keeps reporting the queue online until the settle time passes without operators")
    func reportedStateSurvives() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        var restored = try Desk(snapshot: desk.board.snapshot)
        #expect(restored.board.isOnline(Desk.reference))
        restored.presence(restored.bob, .available, at: t(100))
        #expect(restored.tick(at: t(110)).queuePresenceChanges.isEmpty)

        var empty = try Desk(snapshot: desk.board.snapshot)
        #expect(empty.tick(at: t(100)).queuePresenceChanges.isEmpty)
        #expect(empty.tick(at: t(102)).queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: false)])
    }

    @Test("a snapshot survives a JSON round trip")
    func jsonRoundTrip() throws {
        let snapshot = try Self.busyDesk().board.snapshot
        let data = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(Snapshot.self, from: data) == snapshot)
    }

    @Test("new ids continue after the restored ones")
    func idsContinue() throws {
        let desk = try Self.busyDesk()
        var restored = try Desk(configuration: desk.board.configuration, snapshot: desk.board.snapshot)
        restored.presence(restored.carol, .available, at: t(30))
        let id = try #require(restored.text(from: "+15552220000", "new", at: t(31)).newConversationID)
        #expect(desk.board.openConversations.allSatisfy { $0.id < id })
    }

    @Test("the conversation so far survives a restart, so a transfer after it still hands it over")
    func recentLinesSurvive() throws {
        let (desk, id) = try OperatorCommandTests.bobsChat()
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: try JSONEncoder().encode(desk.board.snapshot))
        #expect(snapshot.recentLines.map(\.conversation) == [id])
        var restored = try Desk(snapshot: snapshot)
        restored.staff(restored.bob, restored.carol, at: t(150))
        let handOver = restored.command(restored.bob, in: id, "!transfer carol", at: t(200))
        #expect(handOver.notifications.first?.text == OperatorCommandTests.bobsHistory)
    }

    @Test("a snapshot saved before recent lines and auto-logout existed still restores")
    func olderSnapshotDecodes() throws {
        let json = """
            {"conversations":[],"offlineInbox":[],"autoReplied":[],"reportedOnline":{"reference":true},
             "lastTieWinner":{},"muted":[],"nextConversationID":7,"nextOfflineMessageID":3}
            """
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(json.utf8))
        #expect(snapshot.nextConversationID == 7)
        #expect(snapshot.reportedOnline == [Desk.reference: true])
        #expect(snapshot.recentLines.isEmpty && snapshot.autoLogoutTimers.isEmpty && snapshot.loggedOut.isEmpty)
    }
}
