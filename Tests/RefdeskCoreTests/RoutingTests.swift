import Testing
@testable import RefdeskCore

@Suite("Routing")
struct RoutingTests {
    @Test("ring-all offers every routable operator and the first reply wins; the others are told who took it")
    func ringAll() throws {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        desk.presence(desk.carol, .away, at: t(1))

        let arrival = desk.text(from: "+1 555 123 4567", "Do you have the Times from 1962?", at: t(10))
        let id = try #require(arrival.newConversationID)
        #expect(
            Set(arrival.offers) == [
                OfferSeen(operator: "alice", jid: desk.aliceDesk, conversation: id, messages: ["Do you have the Times from 1962?"]),
                OfferSeen(operator: "bob", jid: desk.bob, conversation: id, messages: ["Do you have the Times from 1962?"]),
            ]
        )

        let answer = desk.reply(from: desk.bob, in: id, "Yes, on microfilm.", at: t(20))
        #expect(answer.contains(.sendToPatron(desk.patron("+15551234567"), conversation: id, text: "Yes, on microfilm.", author: "bob")))
        #expect(answer.notifications.map(\.jid) == [desk.aliceDesk])
        #expect(answer.notifications.map(\.text) == ["bob took this chat"])
        let conversation = try #require(desk.board.conversation(id))
        #expect(conversation.state == .ongoing)
        #expect(conversation.operator == "bob")

        let late = desk.reply(from: desk.aliceDesk, in: id, "I can help!", at: t(21))
        #expect(late.toPatrons.isEmpty)
        #expect(late.notifications.map(\.text) == ["bob already has this chat."])
    }

    @Test("after the first reply the patron's messages reach only the owner")
    func onlyTheOwner() throws {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, desk.carol, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "Hello?", at: t(10)).newConversationID)
        desk.reply(from: desk.carol, in: id, "Hi, how can I help?", at: t(11))
        let next = desk.text(from: "+15551234567", "Opening hours?", at: t(12))
        #expect(next.toOperators.map(\.jid) == [desk.carol])
        #expect(next.toOperators.map(\.text) == ["Opening hours?"])
        #expect(next.offers.isEmpty)
    }

    @Test("before anyone answers, follow-up messages reach everyone offered the chat")
    func followUpsWhileNew() throws {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        desk.text(from: "+15551234567", "Hello?", at: t(10))
        let followUp = desk.text(from: "+15551234567", "Anyone there?", at: t(11))
        #expect(Set(followUp.toOperators.map(\.jid)) == [desk.aliceDesk, desk.bob])
    }

    @Test("an operator who becomes available later is offered the waiting chat with everything said so far")
    func lateOffer() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "Hello?", at: t(10)).newConversationID)
        desk.text(from: "+15551234567", "Anyone there?", at: t(11))
        let arrives = desk.presence(desk.carol, .chat, at: t(12))
        #expect(arrives.offers == [OfferSeen(operator: "carol", jid: desk.carol, conversation: id, messages: ["Hello?", "Anyone there?"])])
    }

    @Test("least-busy picks the operator with fewest chats and respects the limit")
    func leastBusy() throws {
        var desk = try Desk(routing: .leastBusy(limit: 2))
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))

        // alice and bob each take one chat, then alice a second one.
        let first = try #require(desk.text(from: "+15550000001", "one", at: t(10)).offers.first)
        desk.reply(from: first.jid, in: first.conversation, "hi", at: t(11))
        let second = try #require(desk.text(from: "+15550000002", "two", at: t(12)).offers.first)
        #expect(second.operator != first.operator)
        desk.reply(from: second.jid, in: second.conversation, "hi", at: t(13))
        let third = try #require(desk.text(from: "+15550000003", "three", at: t(14)).offers.first)
        desk.reply(from: third.jid, in: third.conversation, "hi", at: t(15))

        // Now one of them has 2 (at the limit) and the other 1: the fourth goes to the one with 1.
        let fourth = desk.text(from: "+15550000004", "four", at: t(16))
        let busiest = third.operator
        #expect(fourth.offers.count == 1)
        #expect(fourth.offers.first?.operator != busiest)
        let fourthOffer = try #require(fourth.offers.first)
        desk.reply(from: fourthOffer.jid, in: fourthOffer.conversation, "hi", at: t(17))

        // Both at the limit: the fifth waits as new, offered to no one.
        let fifth = desk.text(from: "+15550000005", "five", at: t(18))
        #expect(fifth.offers.isEmpty)
        let waiting = try #require(fifth.newConversationID)
        #expect(desk.board.conversation(waiting)?.state == .new)

        // When someone frees up, the waiting chat is offered to them.
        let freed = desk.board.handle(.closeConversation(first.conversation, at: t(30)))
        #expect(freed.offers == [OfferSeen(operator: first.operator, jid: first.jid, conversation: waiting, messages: ["five"])])
    }

    @Test("least-busy breaks ties round-robin")
    func roundRobin() throws {
        var desk = try Desk(routing: .leastBusy(limit: 5))
        desk.staff(desk.aliceDesk, desk.bob, desk.carol, at: t(0))
        var winners: [OperatorName] = []
        for n in Int64(1)...6 {
            // Each chat is closed before the next, so all three are always tied at zero.
            let offer = try #require(desk.text(from: "+1555000000\(n)", "question \(n)", at: t(10 * n)).offers.first)
            winners.append(offer.operator)
            _ = desk.board.handle(.closeConversation(offer.conversation, at: t(10 * n + 1)))
        }
        #expect(winners == ["alice", "bob", "carol", "alice", "bob", "carol"])
    }

    @Test("least-busy: only the operator offered the chat may take it")
    func leastBusyOnlyOffered() throws {
        var desk = try Desk(routing: .leastBusy(limit: 1))
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        let offer = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).offers.first)
        let other = offer.operator == "alice" ? desk.bob : desk.aliceDesk
        let attempt = desk.reply(from: other, in: offer.conversation, "mine!", at: t(11))
        #expect(attempt.toPatrons.isEmpty)
        #expect(attempt.notifications.map(\.text) == ["Chat \(offer.conversation) is offered to someone else."])
    }

    @Test("least-busy re-offers a chat when the chosen operator goes away before answering")
    func leastBusyReoffers() throws {
        var desk = try Desk(routing: .leastBusy(limit: 1))
        desk.staff(desk.aliceDesk, at: t(0))
        let offer = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).offers.first)
        #expect(offer.operator == "alice")
        desk.presence(desk.bob, .available, at: t(11))
        let away = desk.presence(desk.aliceDesk, .away, at: t(12))
        #expect(away.offers == [OfferSeen(operator: "bob", jid: desk.bob, conversation: offer.conversation, messages: ["hi"])])
    }

    @Test("dnd keeps its chats but gets no new ones")
    func dnd() throws {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "first patron", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: t(11))
        desk.presence(desk.bob, .dnd, at: t(12))

        let current = desk.text(from: "+15551234567", "still there?", at: t(13))
        #expect(current.toOperators.map(\.jid) == [desk.bob])

        let other = desk.text(from: "+15557654321", "second patron", at: t(14))
        #expect(other.offers.map(\.operator) == ["alice"])
    }

    @Test("away deflects new chats but the owner still gets their current chat")
    func away() throws {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "first", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: t(11))
        desk.presence(desk.bob, .away, at: t(12))
        #expect(desk.text(from: "+15551234567", "more", at: t(13)).toOperators.map(\.jid) == [desk.bob])
        #expect(desk.text(from: "+15557654321", "new", at: t(14)).offers.map(\.operator) == ["alice"])
    }

    @Test("an operator away on one JID and available on another gets the next message at the available one")
    func followsTheOperator() throws {
        var desk = try Desk()
        desk.staff(desk.alicePhone, at: t(0))
        let arrival = desk.text(from: "+15551234567", "hi", at: t(10))
        #expect(arrival.offers.map(\.jid) == [desk.alicePhone])
        let id = try #require(arrival.newConversationID)
        desk.reply(from: desk.alicePhone, in: id, "hello from my phone", at: t(11))

        desk.presence(desk.aliceDesk, .available, at: t(20))
        desk.presence(desk.alicePhone, .away, at: t(21))
        #expect(desk.text(from: "+15551234567", "thanks", at: t(22)).toOperators.map(\.jid) == [desk.aliceDesk])
        // The reply from the new place is accepted: it is the same operator.
        #expect(desk.reply(from: desk.aliceDesk, in: id, "you're welcome", at: t(23)).toPatrons.map(\.text) == ["you're welcome"])
    }

    @Test("new chats go to the resource that became available most recently")
    func newestResourceWins() throws {
        var desk = try Desk()
        desk.presence(desk.aliceDesk, .available, at: t(0))
        desk.presence(desk.alicePhone, .available, at: t(5))
        #expect(desk.text(from: "+15551234567", "hi", at: t(10)).offers.map(\.jid) == [desk.alicePhone])
    }

    @Test("an owner who signed off everywhere hands the patron's next message back to the queue")
    func ownerGone() throws {
        var desk = try Desk()
        desk.staff(desk.aliceDesk, desk.bob, at: t(0))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: t(10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: t(11))
        desk.presence(desk.bob, nil, at: t(12))
        let next = desk.text(from: "+15551234567", "hello?", at: t(13))
        #expect(next.changedConversations.contains { $0.id == id && $0.state == .completed })
        #expect(next.offers.map(\.operator) == ["alice"])
        #expect(next.offers.first?.conversation != id)
    }
}
