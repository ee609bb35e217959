import Testing
@testable import RefdeskCore

@Suite("Conversation lifecycle")
struct ConversationLifecycleTests {
    @Test("conversation lifecycle new → ongoing → completed with duration")
    func lifecycle() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let arrival = desk.text(from: "My Patron", "hi", via: Desk.aim, at: t(10))
        let new = try #require(arrival.changedConversations.first)
        #expect(new.state == .new)
        #expect(new.operator == nil)
        #expect(new.duration == nil)
        #expect(new.startedAt == t(10))
        #expect(new.patron == desk.patron("mypatron", via: Desk.aim))
        #expect(new.queue == Desk.reference)

        let answered = try #require(desk.reply(from: desk.bob, in: new.id, "hello", at: t(25)).changedConversations.first)
        #expect(answered.state == .ongoing)
        #expect(answered.operator == "bob")
        #expect(answered.duration == nil)
        #expect(answered.waitTime == .seconds(15))

        let closed = try #require(desk.board.handle(.closeConversation(new.id, at: t(325))).changedConversations.first)
        #expect(closed.state == .completed)
        #expect(closed.operator == "bob")
        #expect(closed.duration == .seconds(300))
        #expect(desk.board.conversation(new.id) == nil)
        #expect(desk.board.openConversations.isEmpty)
    }

    @Test("a patron's next message after a chat is closed starts a new conversation")
    func afterClose() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let first = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        _ = desk.board.handle(.closeConversation(first, at: t(20)))
        let second = try #require(desk.text(from: "+15551234567", "me again", at: t(30)).newConversationID)
        #expect(second != first)
    }

    @Test("closing a chat that is not open is dropped with a reason")
    func closeUnknown() throws {
        var desk = try Desk()
        #expect(desk.board.handle(.closeConversation(42, at: t(0))).dropReasons == ["cannot close conversation 42: it is not open"])
    }

    @Test("transcripts keep the text only for queues that keep them; the others record who wrote when", arguments: [true, false])
    func transcripts(keepsTranscripts: Bool) throws {
        var desk = try Desk(keepsTranscripts: keepsTranscripts)
        desk.staff(desk.bob, at: t(0))
        let arrival = desk.text(from: "+15551234567", "hi", at: t(10))
        let id = try #require(arrival.newConversationID)
        let answer = desk.reply(from: desk.bob, in: id, "hello", at: t(11))
        let lines = (arrival + answer).compactMap { action -> TranscriptLine? in
            if case .recordTranscript(_, let line) = action { return line }
            return nil
        }
        if keepsTranscripts {
            #expect(lines == [TranscriptLine(speaker: .patron, text: "hi", at: t(10)), TranscriptLine(speaker: .operator("bob"), text: "hello", at: t(11))])
        } else {
            #expect(lines == [TranscriptLine(speaker: .patron, text: "", at: t(10)), TranscriptLine(speaker: .operator("bob"), text: "", at: t(11))])
            // Metadata is still kept.
            #expect(!answer.changedConversations.isEmpty)
        }
    }

    @Test("a message starting with ! or / is a command; !! and // send the character itself")
    func commands() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        let command = desk.reply(from: desk.bob, in: id, "!frobnicate now", at: t(11))
        #expect(command.toPatrons.isEmpty)
        #expect(command.notifications.map(\.text) == ["Unknown command !frobnicate. " + Switchboard.commandHelp])
        #expect(desk.board.conversation(id)?.state == .new)

        let slash = desk.reply(from: desk.bob, in: id, "/frobnicate", at: t(12))
        #expect(slash.notifications.map(\.text) == ["Unknown command /frobnicate. " + Switchboard.commandHelp])

        let literal = desk.reply(from: desk.bob, in: id, "//usr/share is a path", at: t(13))
        #expect(literal.toPatrons.map(\.text) == ["/usr/share is a path"])
        let bang = desk.reply(from: desk.bob, in: id, "!!Important: we close at 5", at: t(14))
        #expect(bang.toPatrons.map(\.text) == ["!Important: we close at 5"])
    }

    @Test("a message from an account that is not a staffing JID is dropped")
    func strangerReply() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        let stranger = try FullJID(parsing: "mallory@example.net/x")
        let actions = desk.reply(from: stranger, in: id, "gotcha", at: t(11))
        #expect(actions.toPatrons.isEmpty)
        #expect(actions.dropReasons == ["message from mallory@example.net/x for conversation \(id): mallory@example.net is not a staffing JID"])
    }

    @Test("an operator of another queue cannot take a ring-all chat")
    func otherQueue() throws {
        var desk = try Desk()
        desk.staff(desk.bob, desk.dave, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        #expect(desk.reply(from: desk.dave, in: id, "hello", at: t(11)).toPatrons.isEmpty)
    }
}
