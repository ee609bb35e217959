import Testing
@testable import RefdeskCore

@Suite("Operator commands")
struct OperatorCommandTests {
    /// bob has answered a patron's chat on `reference`; alice and carol are available too.
    static func bobsChat(keepsTranscripts: Bool = true) throws -> (Desk, ConversationID) {
        var desk = try Desk(keepsTranscripts: keepsTranscripts)
        desk.staff(desk.aliceDesk, desk.bob, desk.carol, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "Do you have the Times from 1962?", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "Yes, on microfilm.", at: t(70))
        desk.text(from: "+15551234567", "Can I print from it?", at: t(130))
        return (desk, id)
    }

    static let bobsHistory =
        "Transferred from bob. Conversation so far:\n"
        + "[22:13] patron: Do you have the Times from 1962?\n"
        + "[22:14] bob: Yes, on microfilm.\n"
        + "[22:15] patron: Can I print from it?"

    @Test("!help lists the commands, in any case, and tells the patron nothing", arguments: ["!help", "!HELP", "!", "/help", "/"])
    func help(body: String) throws {
        var (desk, id) = try Self.bobsChat()
        let actions = desk.command(desk.bob, in: id, body, at: t(200))
        #expect(actions == [.notifyOperator(jid: desk.bob, conversation: id, patron: desk.patron("+15551234567"), text: Switchboard.commandHelp)])
        #expect(Switchboard.commandHelp.contains("!transfer NAME"))
    }

    @Test("an unknown command gets the same short help")
    func unknownCommand() throws {
        var (desk, id) = try Self.bobsChat()
        let actions = desk.command(desk.bob, in: id, "!frobnicate now", at: t(200))
        #expect(actions.notifications.map(\.text) == ["Unknown command !frobnicate. " + Switchboard.commandHelp])
        #expect(actions.toPatrons.isEmpty)
    }

    // MARK: /transfer to an operator

    @Test("a transfer to an operator hands over the conversation with its history")
    func transferToOperator() throws {
        var (desk, id) = try Self.bobsChat()
        let actions = desk.command(desk.bob, in: id, "!transfer carol", at: t(200))
        #expect(actions.notifications.map(\.jid) == [desk.carol, desk.bob])
        #expect(actions.notifications.map(\.text) == [Self.bobsHistory, "Chat \(id) transferred to carol."])
        // The patron is not told.
        #expect(actions.toPatrons.isEmpty)
        #expect(actions.changedConversations.map(\.operator) == ["carol"])
        #expect(desk.board.conversation(id)?.state == .ongoing)

        // From now on the chat is carol's.
        #expect(desk.text(from: "+15551234567", "Hello?", at: t(210)).toOperators.map(\.jid) == [desk.carol])
        #expect(desk.reply(from: desk.bob, in: id, "still me", at: t(220)).notifications.map(\.text) == ["carol already has this chat."])
        #expect(desk.reply(from: desk.carol, in: id, "Carol here: yes, 10 cents a page.", at: t(230)).toPatrons.count == 1)
    }

    @Test("operator names in a transfer are matched ignoring case")
    func transferIgnoresCase() throws {
        var (desk, id) = try Self.bobsChat()
        #expect(desk.command(desk.bob, in: id, "!transfer  Carol ", at: t(200)).notifications.last?.text == "Chat \(id) transferred to carol.")
    }

    @Test("the conversation so far is kept for transfers even when the queue keeps no transcripts")
    func historyWithoutTranscripts() throws {
        var (desk, id) = try Self.bobsChat(keepsTranscripts: false)
        let actions = desk.command(desk.bob, in: id, "!transfer alice", at: t(200))
        #expect(actions.notifications.first?.text == Self.bobsHistory)
        #expect(!actions.contains { if case .recordTranscript(_, let line) = $0 { !line.text.isEmpty } else { false } })
    }

    @Test("only the last 50 lines of a conversation are kept")
    func historyLimit() throws {
        var (desk, id) = try Self.bobsChat()
        for n in Int64(1)...60 { desk.text(from: "+15551234567", "line \(n)", at: t(200 + 60 * n)) }
        let lines = desk.board.recentTranscript(of: id)
        #expect(lines.count == Switchboard.recentLineLimit)
        #expect(lines.first?.text == "line 11")
        #expect(lines.last?.text == "line 60")
    }

    @Test(
        "a transfer to an operator who cannot take new chats is refused with the reason",
        arguments: [(Show?.some(.away), "carol is away"), (.dnd, "carol is busy (do not disturb)"), (nil, "carol is offline")]
    )
    func transferToUnavailableOperator(show: Show?, reason: String) throws {
        var (desk, id) = try Self.bobsChat()
        desk.presence(desk.carol, show, at: t(150))
        let actions = desk.command(desk.bob, in: id, "!transfer carol", at: t(200))
        #expect(actions.notifications.map(\.jid) == [desk.bob])
        #expect(actions.notifications.map(\.text) == ["Cannot transfer chat \(id) to carol: \(reason). The chat stays with you."])
        #expect(desk.board.conversation(id)?.operator == "bob")
    }

    @Test("only the owner can transfer a chat, and only to someone who exists")
    func transferRefusals() throws {
        var (desk, id) = try Self.bobsChat()
        #expect(desk.command(desk.aliceDesk, in: id, "!transfer carol", at: t(200)).notifications.map(\.text) == ["bob already has this chat."])
        #expect(desk.command(desk.bob, in: id, "!transfer zoe", at: t(201)).notifications.map(\.text) == ["There is no operator or queue named zoe."])
        #expect(desk.command(desk.bob, in: id, "!transfer bob", at: t(202)).notifications.map(\.text) == ["You already have this chat."])
        #expect(
            desk.command(desk.bob, in: id, "!transfer", at: t(203)).notifications.map(\.text) == ["Usage: !transfer NAME, where NAME is an operator or a queue."]
        )
        #expect(desk.command(desk.bob, in: 99, "!transfer carol", at: t(204)).notifications.map(\.text) == ["Chat 99 is not open."])

        let waiting = try #require(desk.text(from: "+15557654321", "new question", at: t(205)).newConversationID)
        #expect(
            desk.command(desk.bob, in: waiting, "!transfer carol", at: t(206)).notifications.map(\.text)
                == ["Chat \(waiting) has no owner yet: reply to take it first."]
        )
        #expect(desk.board.conversation(id)?.operator == "bob")
    }

    // MARK: /transfer to a queue

    @Test("a transfer to a queue moves the chat there as new and offers it with the history")
    func transferToQueue() throws {
        var (desk, id) = try Self.bobsChat()
        desk.staff(desk.dave, at: t(150))
        let actions = desk.command(desk.bob, in: id, "!transfer archives", at: t(200))
        #expect(actions.notifications.map(\.text) == ["Chat \(id) transferred to queue archives."])
        #expect(actions.offers == [OfferSeen(operator: "dave", jid: desk.dave, conversation: id, messages: [Self.bobsHistory])])
        #expect(actions.toPatrons.isEmpty)
        let moved = try #require(desk.board.conversation(id))
        #expect(moved.queue == Desk.archives)
        #expect(moved.state == .new)

        // The patron's next message reaches whoever it is offered to, and dave can take it.
        #expect(desk.text(from: "+15551234567", "Hello?", at: t(210)).toOperators.map(\.jid) == [desk.dave])
        let taken = desk.reply(from: desk.dave, in: id, "Archives here.", at: t(220))
        #expect(taken.toPatrons.map(\.text) == ["Archives here."])
        #expect(desk.board.conversation(id)?.operator == "dave")
        // The chat keeps the time it was first answered.
        #expect(desk.board.conversation(id)?.answeredAt == t(70))
    }

    @Test("a transfer to an offline queue is refused")
    func transferToOfflineQueue() throws {
        var (desk, id) = try Self.bobsChat()
        let actions = desk.command(desk.bob, in: id, "!transfer archives", at: t(200))
        #expect(actions.notifications.map(\.text) == ["Cannot transfer chat \(id) to queue archives: it is offline. The chat stays with you."])
        #expect(actions.offers.isEmpty)
        #expect(desk.board.conversation(id)?.queue == Desk.reference)
        #expect(desk.board.conversation(id)?.operator == "bob")
    }

    @Test("a transfer to the chat's own queue is refused")
    func transferToSameQueue() throws {
        var (desk, id) = try Self.bobsChat()
        #expect(
            desk.command(desk.bob, in: id, "!transfer reference", at: t(200)).notifications.map(\.text)
                == ["Chat \(id) is already in queue reference; name an operator to hand it to."]
        )
    }

    // MARK: /close

    @Test("!close ends the conversation with its duration; the patron's next message starts a new one")
    func close() throws {
        var (desk, id) = try Self.bobsChat()
        let actions = desk.command(desk.bob, in: id, "!close", at: t(370))
        let closed = try #require(actions.changedConversations.first)
        #expect(closed.state == .completed)
        #expect(closed.duration == .seconds(300))
        #expect(actions.notifications.map(\.text) == ["Chat \(id) closed."])
        #expect(actions.toPatrons.isEmpty)
        #expect(desk.board.conversation(id) == nil)
        #expect(desk.board.recentTranscript(of: id).isEmpty)

        let next = try #require(desk.text(from: "+15551234567", "One more thing", at: t(400)).newConversationID)
        #expect(next != id)
    }

    @Test("only the owner closes an ongoing chat; a new chat can be closed by anyone who could take it")
    func closeRefusalsAndNewChats() throws {
        var (desk, id) = try Self.bobsChat()
        #expect(desk.command(desk.aliceDesk, in: id, "!close", at: t(200)).notifications.map(\.text) == ["bob already has this chat."])
        #expect(desk.board.conversation(id) != nil)

        let spam = try #require(desk.text(from: "+15550000000", "WIN A PRIZE", at: t(210)).newConversationID)
        let actions = desk.command(desk.carol, in: spam, "!close", at: t(220))
        #expect(actions.changedConversations.map(\.state) == [.completed])
        #expect(Set(actions.notifications.map(\.jid)) == [desk.carol, desk.aliceDesk, desk.bob])
        #expect(actions.notifications.filter { $0.jid != desk.carol }.map(\.text) == ["carol closed this chat", "carol closed this chat"])
    }

    // MARK: /canned

    static func cannedDesk() throws -> Desk {
        var configuration = try Desk.configuration()
        configuration.cannedReplies = ["hours": "We're open 9 to 5.", "directions": "We're at 1 Main Street."]
        var desk = try Desk(configuration: configuration)
        desk.staff(desk.bob, at: t(0))
        return desk
    }

    @Test("!canned sends the configured reply as if the operator typed it, names ignoring case")
    func canned() throws {
        var desk = try Self.cannedDesk()
        let id = try #require(desk.text(from: "+15551234567", "When are you open?", at: t(10)).newConversationID)
        let actions = desk.command(desk.bob, in: id, "!canned HOURS", at: t(20))
        #expect(actions.contains(.sendToPatron(desk.patron("+15551234567"), conversation: id, text: "We're open 9 to 5.", author: "bob")))
        #expect(actions.contains(.recordTranscript(id, TranscriptLine(speaker: .operator("bob"), text: "We're open 9 to 5.", at: t(20)))))
        #expect(actions.notifications.map(\.text) == ["Sent hours: We're open 9 to 5."])
        // Like any first reply, it takes the chat.
        #expect(desk.board.conversation(id)?.operator == "bob")
    }

    @Test("!canned alone lists the names; an unknown name is refused with the list")
    func cannedListing() throws {
        var desk = try Self.cannedDesk()
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        #expect(desk.command(desk.bob, in: id, "!canned", at: t(20)).notifications.map(\.text) == ["Canned replies: directions, hours."])
        let unknown = desk.command(desk.bob, in: id, "!canned parking", at: t(21))
        #expect(unknown.notifications.map(\.text) == ["There is no canned reply named parking. Canned replies: directions, hours."])
        #expect(unknown.toPatrons.isEmpty)

        var plain = try Desk()
        plain.staff(plain.bob, at: t(0))
        let other = try #require(plain.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        #expect(plain.command(plain.bob, in: other, "!canned", at: t(20)).notifications.map(\.text) == ["No canned replies are configured."])
    }

    @Test("a canned reply in someone else's chat is refused like a typed one")
    func cannedInSomeoneElsesChat() throws {
        var desk = try Self.cannedDesk()
        desk.staff(desk.carol, at: t(1))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        desk.reply(from: desk.carol, in: id, "hello", at: t(11))
        let actions = desk.command(desk.bob, in: id, "!canned hours", at: t(20))
        #expect(actions.toPatrons.isEmpty)
        #expect(actions.notifications.map(\.text) == ["carol already has this chat."])
    }

    // MARK: /who

    @Test("!who lists the routable operators of the chat's queue, or a named one, with their show")
    func who() throws {
        var (desk, id) = try Self.bobsChat()
        desk.presence(desk.aliceDesk, .chat, at: t(140))
        desk.presence(desk.carol, .away, at: t(141))
        #expect(desk.command(desk.bob, in: id, "!who", at: t(200)).notifications.map(\.text) == ["Available on reference: alice (chat), bob (available)."])
        #expect(desk.command(desk.bob, in: id, "!who ARCHIVES", at: t(201)).notifications.map(\.text) == ["Nobody is available on archives."])
        #expect(desk.command(desk.bob, in: id, "!who music", at: t(202)).notifications.map(\.text) == ["There is no queue named music."])
        #expect(desk.command(desk.bob, in: 99, "!who", at: t(203)).notifications.map(\.text) == ["Chat 99 is not open; name a queue: !who QUEUE"])
    }

    // MARK: From a client's command menu

    @Test("a command from the menu acts like the typed one, and is answered in the patron's window")
    func menuCommandInChat() throws {
        var (desk, id) = try Self.bobsChat()
        let actions = desk.board.handle(.operatorCommand(from: desk.bob, conversation: id, command: .transfer(to: "carol"), at: t(200)))
        #expect(actions.notifications.map(\.text) == [Self.bobsHistory, "Chat \(id) transferred to carol."])
        #expect(actions.notifications.last?.jid == desk.bob)
        #expect(desk.board.conversation(id)?.operator == "carol")
    }

    @Test("on a queue's contact, outside any chat, only the commands that need no chat act; the others say where to give them")
    func menuCommandOutsideChats() throws {
        var (desk, _) = try Self.bobsChat()
        func outside(_ command: OperatorCommand, at time: Timestamp) -> [String] {
            desk.board.handle(.operatorCommand(from: desk.carol, conversation: nil, command: command, at: time)).notifications.map(\.text)
        }
        #expect(outside(.logout(.minutes(30)), at: t(200)) == ["Auto-logout in 30 min, at 22:46: then you receive no new chats until your presence changes."])
        #expect(desk.board.autoLogoutTime(of: "carol") == t(200) + .seconds(1800))
        #expect(outside(.who(queue: "reference"), at: t(201)).first?.hasPrefix("Available on reference:") == true)
        #expect(outside(.who(queue: nil), at: t(202)) == ["name a queue: !who QUEUE"])
        #expect(outside(.close, at: t(203)) == ["This command acts on a chat: give it in the patron's window."])
        #expect(outside(.canned("hours"), at: t(204)).first?.hasPrefix("There is no canned reply named hours") == true)
    }

    @Test("a command from an account that staffs nothing is dropped")
    func menuCommandFromStranger() throws {
        var (desk, id) = try Self.bobsChat()
        let stranger = try FullJID(parsing: "mallory@example.net/x")
        let actions = desk.board.handle(.operatorCommand(from: stranger, conversation: id, command: .close, at: t(200)))
        #expect(actions.notifications.isEmpty)
        #expect(actions.dropReasons.count == 1)
        #expect(desk.board.conversation(id) != nil)
    }

    @Test("a command menu offers as transfer targets the operators who take new chats and the other online queues")
    func transferTargets() throws {
        var (desk, id) = try Self.bobsChat()
        desk.presence(desk.carol, .away, at: t(140))
        desk.staff(desk.dave, at: t(150))
        let targets = desk.board.transferTargets(for: id, by: "bob")
        #expect(targets.map(\.name) == ["alice", "dave", "archives"])
        #expect(targets.map(\.label) == ["alice (available)", "dave (available)", "queue archives"])
        #expect(desk.board.transferTargets(for: 99, by: "bob").isEmpty)
    }
}
