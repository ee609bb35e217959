import Foundation
import Testing
@testable import RefdeskCore

@Suite("Auto-logout")
struct AutoLogoutTests {
    /// alice and bob are available; bob owns a chat, in whose window he types commands.
    static func desk() throws -> (Desk, ConversationID) {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: t(11))
        return (desk, id)
    }

    @Test("the auto-logout timer stops new chats and tells the operator")
    func timerExpires() throws {
        var (desk, id) = try Self.desk()
        let set = desk.command(desk.bob, in: id, "!logout 30", at: t(20))
        // t(20) is 22:13:40 UTC, so the timer runs out at 22:43.
        #expect(set.notifications.map(\.text) == ["Auto-logout in 30 min, at 22:43: then you receive no new chats until your presence changes."])
        #expect(desk.board.autoLogoutTime(of: "bob") == t(20) + .seconds(1800))

        #expect(desk.tick(at: t(20) + .seconds(1799)).notifications.isEmpty)
        #expect(desk.board.isRoutable("bob"))

        let expiry = desk.tick(at: t(20) + .seconds(1800))
        #expect(expiry.contains(.notifyOperator(jid: desk.bob, conversation: nil, patron: nil, text: Switchboard.autoLogoutNotice)))
        #expect(
            Switchboard.autoLogoutNotice
                == "Auto-logout: you are no longer receiving new chats; send any presence change (or !logout off) to come back"
        )
        #expect(!desk.board.isRoutable("bob"))
        #expect(desk.board.isAutoLoggedOut("bob"))
        #expect(desk.board.autoLogoutTime(of: "bob") == nil)

        // New chats go to alice only; bob's current chat still reaches him.
        #expect(desk.text(from: "+15557654321", "new patron", at: t(1900)).offers.map(\.operator) == ["alice"])
        #expect(desk.text(from: "+15551234567", "still there?", at: t(1901)).toOperators.map(\.jid) == [desk.bob])
    }

    @Test("when the last routable operator is auto-logged-out the queue goes offline after the settle time")
    func queueGoesOffline() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        desk.command(desk.bob, in: id, "!logout 1", at: t(20))
        #expect(desk.tick(at: t(80)).queuePresenceChanges.isEmpty)
        #expect(desk.tick(at: t(82)).queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: false)])
    }

    @Test("any presence change brings an auto-logged-out operator back", arguments: [Show.available, .away, .dnd])
    func presenceChangeComesBack(show: Show) throws {
        var (desk, id) = try Self.desk()
        desk.presence(desk.bob, .chat, at: t(12))
        desk.command(desk.bob, in: id, "!logout 5", at: t(20))
        desk.tick(at: t(320))
        #expect(desk.board.isAutoLoggedOut("bob"))
        // The same presence again is no change.
        desk.presence(desk.bob, .chat, at: t(330))
        #expect(desk.board.isAutoLoggedOut("bob"))

        desk.presence(desk.bob, show, at: t(340))
        #expect(!desk.board.isAutoLoggedOut("bob"))
        #expect(desk.board.isRoutable("bob") == show.isRoutable)
    }

    @Test("signing in again after signing off brings an auto-logged-out operator back")
    func signOffAndOnComesBack() throws {
        var (desk, id) = try Self.desk()
        desk.command(desk.bob, in: id, "!logout 5", at: t(20))
        desk.tick(at: t(320))
        desk.presence(desk.bob, nil, at: t(330))
        #expect(desk.board.isAutoLoggedOut("bob"))
        desk.presence(desk.bob, .available, at: t(340))
        #expect(desk.board.isRoutable("bob"))
    }

    @Test("!logout off stops the timer, and brings back an operator already logged out")
    func logoutOff() throws {
        var (desk, id) = try Self.desk()
        desk.command(desk.bob, in: id, "!logout 5", at: t(20))
        #expect(desk.command(desk.bob, in: id, "!logout off", at: t(30)).notifications.map(\.text) == ["Auto-logout is off."])
        #expect(desk.tick(at: t(400)).notifications.isEmpty)
        #expect(desk.board.isRoutable("bob"))

        desk.command(desk.bob, in: id, "!logout 5", at: t(500))
        desk.tick(at: t(800))
        #expect(!desk.board.isRoutable("bob"))
        #expect(desk.command(desk.bob, in: id, "/LOGOUT OFF", at: t(810)).notifications.map(\.text) == ["Auto-logout is off; you receive new chats again."])
        #expect(desk.board.isRoutable("bob"))
    }

    @Test("!logout without a valid number of minutes answers with the usage", arguments: ["0", "soon", "1441", "-5"])
    func logoutUsage(argument: String) throws {
        var (desk, id) = try Self.desk()
        let actions = desk.command(desk.bob, in: id, "!logout \(argument)", at: t(20))
        #expect(
            actions.notifications.map(\.text)
                == ["\"\(argument)\" is not a number of minutes from 1 to 1440. Usage: !logout MINUTES (1 to 1440) or !logout off."]
        )
        #expect(desk.board.autoLogoutTime(of: "bob") == nil)
    }

    @Test("!logout alone tells whether a timer is running")
    func logoutStatus() throws {
        var (desk, id) = try Self.desk()
        #expect(desk.command(desk.bob, in: id, "!logout", at: t(20)).notifications.map(\.text) == ["Auto-logout is off. Usage: !logout MINUTES (1 to 1440) or !logout off."])
        desk.command(desk.bob, in: id, "!logout 60", at: t(20))
        #expect(
            desk.command(desk.bob, in: id, "!logout", at: t(30)).notifications.map(\.text)
                == ["Auto-logout is set for 23:13. Usage: !logout MINUTES (1 to 1440) or !logout off."]
        )
    }

    @Test("a snapshot taken with a timer running restores the timer")
    func timerSurvivesRestart() throws {
        var (desk, id) = try Self.desk()
        desk.command(desk.bob, in: id, "!logout 30", at: t(20))
        let data = try JSONEncoder().encode(desk.board.snapshot)
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: data)
        #expect(snapshot.autoLogoutTimers == [Snapshot.AutoLogoutTimer(operator: "bob", expiresAt: t(20) + .seconds(1800))])

        var restored = try Desk(snapshot: snapshot)
        restored.presence(restored.bob, .available, at: t(100))
        #expect(restored.board.autoLogoutTime(of: "bob") == t(20) + .seconds(1800))
        let expiry = restored.tick(at: t(20) + .seconds(1800))
        #expect(expiry.notifications.map(\.text) == [Switchboard.autoLogoutNotice])
        #expect(!restored.board.isRoutable("bob"))
    }

    @Test("an auto-logged-out operator stays out after a restart, when the server repeats their presence")
    func loggedOutSurvivesRestart() throws {
        var (desk, id) = try Self.desk()
        desk.command(desk.bob, in: id, "!logout 1", at: t(20))
        desk.tick(at: t(80))
        let snapshot = desk.board.snapshot
        #expect(snapshot.loggedOut.map(\.operator) == ["bob"])

        var restored = try Desk(snapshot: snapshot)
        restored.presence(restored.bob, .available, at: t(100))
        #expect(!restored.board.isRoutable("bob"))
        restored.presence(restored.bob, .chat, at: t(110))
        #expect(restored.board.isRoutable("bob"))
    }
}
