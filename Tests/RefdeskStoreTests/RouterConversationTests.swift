import RefdeskStore
import Testing

@Suite("Router store: conversations, offline inbox, outbox and dedupe")
struct RouterConversationTests {
    /// A router database with queue "ask" and one SMS gateway.
    private func prepared(_ scratch: borrowing ScratchDirectory) throws -> (SQLiteConnection, gateway: Int64) {
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(RouterConfigurationTests.askQueue)
        let gateway = try db.insertGateway(
            protocol: "sms", queue: "ask", username: "+15550100", normalisedUsername: "+15550100", secret: "", at: 1
        )
        return (db, gateway)
    }

    @Test("pending messages are rows by conversation in position order; saving a position again replaces it; closing forgets them")
    func pendingRows() throws {
        let scratch = try ScratchDirectory()
        let (db, _) = try prepared(scratch)
        let first = PendingRow(position: 0, body: "Hello?", receivedAt: 1000)
        let second = PendingRow(position: 1, body: "Anyone there?", receivedAt: 2000)
        try db.saveSwitchboardConversation(id: 7, state: Array("{}".utf8))
        try db.saveSwitchboardPending(second, conversation: 7)
        try db.saveSwitchboardPending(first, conversation: 7)
        try db.saveSwitchboardPending(first, conversation: 7)
        try db.saveSwitchboardPending(PendingRow(position: 0, body: "Other chat", receivedAt: 1500), conversation: 8)
        #expect(try db.switchboardPending() == [7: [first, second], 8: [PendingRow(position: 0, body: "Other chat", receivedAt: 1500)]])

        try db.deleteSwitchboardPending(conversation: 8)
        #expect(try db.switchboardPending() == [7: [first, second]])
        try db.deleteSwitchboardConversation(id: 7)
        #expect(try db.switchboardPending().isEmpty)
        #expect(try db.switchboardConversations().isEmpty)
        #expect(throws: (any Error).self) { try db.saveSwitchboardPending(PendingRow(position: -1, body: "x", receivedAt: 1), conversation: 9) }
    }

    @Test("a patron's media and refdesk's own lines keep what they are: pending rows, the offline inbox and lines to librarians")
    func mediaAndRefdeskLines() throws {
        let scratch = try ScratchDirectory()
        let (db, gateway) = try prepared(scratch)
        let media = #"[{"url":"https://example.org/a.jpg","contentType":"image/jpeg"}]"#
        let handOver = PendingRow(position: 0, body: "Transferred from bob.", receivedAt: 1000, fromRefdesk: true)
        let picture = PendingRow(position: 1, body: "", receivedAt: 2000, media: media)
        try db.saveSwitchboardConversation(id: 7, state: Array("{}".utf8))
        try db.saveSwitchboardPending(handOver, conversation: 7)
        try db.saveSwitchboardPending(picture, conversation: 7)
        #expect(try db.switchboardPending() == [7: [handOver, picture]])

        try db.insertOffline(id: 3, queue: "ask", gatewayID: gateway, patron: "+15551234567", body: "Look", messageID: "MM1", sentAt: nil, receivedAt: 5, media: media)
        #expect(try db.allOfflineEntries().map(\.media) == [media])

        let notice = LibrarianLineRecord(
            seq: 1, id: "rd-1", recipient: "bob@localhost", to: "bob@localhost/desk", from: "+15551234567@refdesk.localhost",
            body: "Chat 7 closed.", createdAt: 9, fromRefdesk: true
        )
        let link = LibrarianLineRecord(
            seq: 2, id: "rd-2", recipient: "bob@localhost", to: "bob@localhost/desk", from: "+15551234567@refdesk.localhost",
            body: "https://example.org/a.jpg", createdAt: 9, mediaURL: "https://example.org/a.jpg"
        )
        try db.insertLibrarianLine(notice)
        try db.insertLibrarianLine(link)
        #expect(try db.librarianLines() == [notice, link])
    }

    @Test("a conversation goes new → ongoing → completed and leaves the open list when completed")
    func conversationLifecycle() throws {
        let scratch = try ScratchDirectory()
        let (db, gateway) = try prepared(scratch)
        let first = try db.insertConversation(queue: "ask", gatewayID: gateway, patron: "+15551234567", startedAt: 1000)
        let second = try db.insertConversation(queue: "ask", gatewayID: gateway, patron: "+15557654321", startedAt: 1500)

        var record = try #require(try db.conversation(id: first))
        #expect(record == ConversationRecord(
            id: first, queueName: "ask", gatewayID: gateway, patron: "+15551234567", state: .new,
            operatorName: nil, startedAt: 1000, answeredAt: nil, endedAt: nil
        ))
        record.state = .ongoing
        record.operatorName = "alice"
        record.answeredAt = 1200
        try db.updateConversation(record)
        #expect(try db.openConversations().map(\.id) == [first, second])
        #expect(try db.conversation(id: first) == record)

        record.state = .completed
        record.endedAt = 9000
        try db.updateConversation(record)
        #expect(try db.openConversations().map(\.id) == [second])
        #expect(try db.conversation(id: first)?.endedAt == 9000)
    }

    @Test("updating an unknown conversation is reported")
    func updateUnknownConversation() throws {
        let scratch = try ScratchDirectory()
        let (db, _) = try prepared(scratch)
        let ghost = ConversationRecord(
            id: 42, queueName: "ask", gatewayID: nil, patron: "x", state: .new, operatorName: nil, startedAt: 0, answeredAt: nil, endedAt: nil
        )
        #expect(throws: StoreError.notFound(table: "conversations", key: "42")) { try db.updateConversation(ghost) }
    }

    @Test("a transcript reads back in the order it was written, with notes")
    func transcript() throws {
        let scratch = try ScratchDirectory()
        let (db, gateway) = try prepared(scratch)
        let conversation = try db.insertConversation(queue: "ask", gatewayID: gateway, patron: "+15551234567", startedAt: 1)
        try db.appendMessage(conversation: conversation, direction: .inbound, sender: "+15551234567", body: "Hours?", messageID: "SM1", at: 10)
        try db.appendMessage(conversation: conversation, direction: .outbound, sender: "alice", body: "9 to 5.", messageID: nil, at: 20)
        try db.appendMessage(conversation: conversation, direction: .note, sender: "alice", body: "transferred", messageID: nil, at: 30)
        let messages = try db.messages(conversation: conversation)
        #expect(messages.map(\.direction) == [.inbound, .outbound, .note])
        #expect(messages.map(\.body) == ["Hours?", "9 to 5.", "transferred"])
        #expect(messages.first?.messageID == "SM1")
        #expect(messages.allSatisfy { $0.conversationID == conversation })
    }

    @Test("deleting a gateway keeps the history of its conversations")
    func historyOutlivesGateway() throws {
        let scratch = try ScratchDirectory()
        let (db, gateway) = try prepared(scratch)
        let conversation = try db.insertConversation(queue: "ask", gatewayID: gateway, patron: "+15551234567", startedAt: 1)
        try db.appendMessage(conversation: conversation, direction: .inbound, sender: "p", body: "hi", messageID: nil, at: 2)
        try db.deleteGateway(id: gateway)
        #expect(try db.conversation(id: conversation)?.gatewayID == nil)
        #expect(try db.messages(conversation: conversation).count == 1)
    }

    @Test("the offline inbox keeps messages oldest first until they are delivered")
    func offlineInbox() throws {
        let scratch = try ScratchDirectory()
        let (db, gateway) = try prepared(scratch)
        let first = try db.insertOffline(
            queue: "ask", gatewayID: gateway, patron: "+15551234567", body: "first", messageID: "SM1", sentAt: 90, receivedAt: 100
        )
        let second = try db.insertOffline(
            queue: "ask", gatewayID: gateway, patron: "+15557654321", body: "second", messageID: nil, sentAt: nil, receivedAt: 200
        )
        #expect(try db.offlineInboxDepth() == 2)
        let entries = try db.offlineEntries(queue: "ask")
        #expect(entries == [
            OfflineEntry(id: first, queueName: "ask", gatewayID: gateway, patron: "+15551234567", body: "first", messageID: "SM1", sentAt: 90, receivedAt: 100),
            OfflineEntry(id: second, queueName: "ask", gatewayID: gateway, patron: "+15557654321", body: "second", messageID: nil, sentAt: nil, receivedAt: 200),
        ])
        #expect(try db.offlineEntries(queue: "other").isEmpty)
        #expect(try db.deleteOffline(ids: [first, 999]) == 1)
        #expect(try db.offlineEntries(queue: "ask").map(\.id) == [second])
        #expect(try db.offlineInboxDepth() == 1)
    }

    @Test("the offline reply is due once per patron per offline spell")
    func autoReplyOncePerSpell() throws {
        let scratch = try ScratchDirectory()
        let (db, gateway) = try prepared(scratch)
        #expect(try db.recordAutoReply(queue: "ask", gateway: gateway, patron: "+15551234567", spell: 1))
        #expect(try db.recordAutoReply(queue: "ask", gateway: gateway, patron: "+15551234567", spell: 1) == false)
        #expect(try db.recordAutoReply(queue: "ask", gateway: gateway, patron: "+15557654321", spell: 1))
        #expect(try db.recordAutoReply(queue: "ask", gateway: gateway, patron: "+15551234567", spell: 2))
        #expect(try db.pruneAutoReplies(queue: "ask", beforeSpell: 2) == 2)
        #expect(try db.recordAutoReply(queue: "ask", gateway: gateway, patron: "+15551234567", spell: 2) == false)
    }

    @Test("a reliable frame id is new once; pruning forgets old ids")
    func markSeenDedupes() throws {
        let scratch = try ScratchDirectory()
        let (db, _) = try prepared(scratch)
        #expect(try db.markSeen(id: "frame-1", at: 100))
        #expect(try db.markSeen(id: "frame-1", at: 200) == false)
        #expect(try db.markSeen(id: "frame-2", at: 300))
        #expect(try db.pruneSeen(before: 250) == 1)
        #expect(try db.markSeen(id: "frame-1", at: 400))
        #expect(try db.markSeen(id: "frame-2", at: 400) == false)
    }

    @Test("the outbox hands out messages per protocol in seq order and forgets them when acked")
    func outboxOrderAndAck() throws {
        let scratch = try ScratchDirectory()
        let (db, sms) = try prepared(scratch)
        let aim = try db.insertGateway(protocol: "aim", queue: "ask", username: "AskLib", normalisedUsername: "asklib", secret: "", at: 1)
        let conversation = try db.insertConversation(queue: "ask", gatewayID: sms, patron: "+15551234567", startedAt: 1)
        let s1 = try db.enqueueOutbound(id: "o-1", protocol: "sms", gatewayID: sms, recipient: "+15551234567", body: "one", conversation: conversation, at: 10)
        _ = try db.enqueueOutbound(id: "o-2", protocol: "aim", gatewayID: aim, recipient: "patron", body: "two", conversation: nil, at: 11)
        let s3 = try db.enqueueOutbound(id: "o-3", protocol: "sms", gatewayID: sms, recipient: "+15551234567", body: "three", conversation: nil, at: 12)
        let s4 = try db.enqueueOutbound(id: "o-4", protocol: "sms", gatewayID: sms, recipient: "+15551234567", body: "four", conversation: nil, at: 13)
        #expect(s1 < s3 && s3 < s4)
        #expect(try db.outboxDepth() == 4)

        let pending = try db.pendingOutbound(protocol: "sms", afterSeq: 0, limit: 10)
        #expect(pending.map(\.id) == ["o-1", "o-3", "o-4"])
        #expect(pending.first == OutboxRecord(
            seq: s1, id: "o-1", network: "sms", gatewayID: sms, recipient: "+15551234567", body: "one",
            conversationID: conversation, createdAt: 10
        ))
        #expect(try db.pendingOutbound(protocol: "sms", afterSeq: s1, limit: 1).map(\.id) == ["o-3"])

        #expect(try db.acknowledgeOutbound(ids: ["o-1", "o-3"]) == [
            AcknowledgedOutbound(protocolName: "sms", gatewayID: sms), AcknowledgedOutbound(protocolName: "sms", gatewayID: sms),
        ])
        #expect(try db.acknowledgeOutbound(ids: ["o-1"]).isEmpty, "acking twice is harmless, and returns nothing to count again")
        #expect(try db.pendingOutbound(protocol: "sms", limit: 10).map(\.id) == ["o-4"])
        #expect(try db.outboxDepth() == 2)
    }

    @Test("an outbound id is unique")
    func outboxIDUnique() throws {
        let scratch = try ScratchDirectory()
        let (db, sms) = try prepared(scratch)
        _ = try db.enqueueOutbound(id: "o-1", protocol: "sms", gatewayID: sms, recipient: "r", body: "b", conversation: nil, at: 1)
        let error = #expect(throws: SQLiteError.self) {
            _ = try db.enqueueOutbound(id: "o-1", protocol: "sms", gatewayID: sms, recipient: "r", body: "b", conversation: nil, at: 2)
        }
        #expect(error?.isConstraintViolation == true)
    }

    @Test("delivery reports are kept per message in arrival order")
    func deliveryReports() throws {
        let scratch = try ScratchDirectory()
        let (db, _) = try prepared(scratch)
        try db.recordDelivery(messageID: "o-1", status: "sent", reason: nil, at: 10)
        try db.recordDelivery(messageID: "o-1", status: "failed", reason: "30003 unreachable", at: 20)
        try db.recordDelivery(messageID: "o-2", status: "delivered", reason: nil, at: 30)
        #expect(try db.deliveryReports(messageID: "o-1") == [
            DeliveryReportRecord(messageID: "o-1", status: "sent", reason: nil, at: 10),
            DeliveryReportRecord(messageID: "o-1", status: "failed", reason: "30003 unreachable", at: 20),
        ])
    }

    @Test("presence subscriptions are set, changed and removed with state none")
    func subscriptions() throws {
        let scratch = try ScratchDirectory()
        let (db, _) = try prepared(scratch)
        try db.setSubscription(SubscriptionRecord(localJID: "ask@refdesk.example", contactJID: "alice@library.example", state: .from))
        try db.setSubscription(SubscriptionRecord(localJID: "ask@refdesk.example", contactJID: "alice@library.example", state: .both))
        try db.setSubscription(SubscriptionRecord(localJID: "ask@refdesk.example", contactJID: "bob@library.example", state: .to))
        #expect(try db.subscriptionState(localJID: "ask@refdesk.example", contactJID: "alice@library.example") == .both)
        #expect(try db.subscriptions(localJID: "ask@refdesk.example").map(\.state) == [.both, .to])
        try db.setSubscription(SubscriptionRecord(localJID: "ask@refdesk.example", contactJID: "bob@library.example", state: .none))
        #expect(try db.subscriptions().map(\.contactJID) == ["alice@library.example"])
        #expect(try db.subscriptionState(localJID: "ask@refdesk.example", contactJID: "bob@library.example") == .none)
    }

    @Test("typed operations work through the executor, as the router uses them")
    func throughTheExecutor() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("router.sqlite")
        let executor = try DatabaseExecutor(path: path, migrations: RouterSchema.migrations, logger: quietLogger)
        let queue = RouterConfigurationTests.askQueue
        try await executor.write { try $0.insertQueue(queue) }
        let fresh = try await executor.write { try $0.markSeen(id: "frame-9", at: 1) }
        let again = try await executor.write { try $0.markSeen(id: "frame-9", at: 2) }
        #expect(fresh && !again)
        #expect(try await executor.read { try $0.allQueues() } == [queue])
        await executor.close()
    }
}
