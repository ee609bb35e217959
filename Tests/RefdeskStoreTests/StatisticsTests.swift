import RefdeskStore
import Testing

@Suite("Statistics: chats counted from the history")
struct StatisticsTests {
    static let hour: Int64 = 3_600_000
    /// 2024-05-06 (a Monday) 00:00 UTC.
    static let monday: Int64 = 1_714_953_600_000

    /// A fixed-offset zone per queue name for tests: "ask" at UTC−5, every other queue at UTC.
    static let zones = StatisticsTimeZones(
        zoneOfQueue: { $0 == "ask" ? "Fixed/-5" : "UTC" },
        wallClock: { zone, instant in zone == "Fixed/-5" ? instant - 5 * 3_600_000 : instant }
    )

    private func prepared(_ scratch: borrowing ScratchDirectory) throws -> (SQLiteConnection, sms: Int64, aim: Int64) {
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(RouterConfigurationTests.askQueue)
        let sms = try db.insertGateway(protocol: "twilio", queue: "ask", username: "+15550100", normalisedUsername: "+15550100", secret: "", at: 1)
        let aim = try db.insertGateway(protocol: "aim", queue: "ask", username: "deskaim", normalisedUsername: "deskaim", secret: "", at: 1)
        return (db, sms, aim)
    }

    private func save(_ db: SQLiteConnection, _ id: Int64, gateway: Int64, patron: String, operator name: String? = nil, started: Int64,
                      answered: Int64? = nil, ended: Int64? = nil, queue: String = "ask") throws {
        let state: ConversationState = ended != nil ? .completed : (name == nil ? .new : .ongoing)
        try db.saveConversation(
            ConversationRecord(id: id, queueName: queue, gatewayID: gateway, patron: patron, state: state, operatorName: name,
                               startedAt: started, answeredAt: answered, endedAt: ended)
        )
    }

    @Test("every figure of a chat: outcome, wait, duration, messages, transfers, opt-outs, failed replies, local hour")
    func chatRows() throws {
        let scratch = try ScratchDirectory()
        let (db, sms, aim) = try prepared(scratch)
        let t0 = Self.monday + 15 * Self.hour  // 10:00 at UTC−5

        // 1: answered by alice after 90 s, transferred to bob, ended 10 minutes later, one reply failed.
        try save(db, 1, gateway: sms, patron: "+15551230001", started: t0)
        try db.appendMessage(conversation: 1, direction: .inbound, sender: "patron", body: "Do you have atlases?", messageID: nil, at: t0)
        try db.appendMessage(conversation: 1, direction: .inbound, sender: "patron", body: "Old ones", messageID: nil, at: t0 + 30_000)
        try save(db, 1, gateway: sms, patron: "+15551230001", operator: "alice", started: t0, answered: t0 + 90_000)
        try db.appendMessage(conversation: 1, direction: .outbound, sender: "alice", body: "Yes, on floor 2", messageID: nil, at: t0 + 90_000)
        try db.insertLibrarianReply(LibrarianReplyRecord(messageID: "rd-1", conversationID: 1, gatewayID: sms, patron: "+15551230001",
                                                         operator: "alice", body: "Yes, on floor 2", createdAt: t0 + 90_000))
        try save(db, 1, gateway: sms, patron: "+15551230001", operator: "bob", started: t0, answered: t0 + 90_000)
        try db.appendMessage(conversation: 1, direction: .outbound, sender: "bob", body: "Here is bob", messageID: nil, at: t0 + 120_000)
        try db.recordDelivery(messageID: "rd-1", status: "failed", reason: "unreachable", at: t0 + 95_000)
        try db.recordDelivery(messageID: "rd-9", status: "failed", reason: "not ours", at: t0 + 95_000)
        try save(db, 1, gateway: sms, patron: "+15551230001", operator: "bob", started: t0, answered: t0 + 90_000, ended: t0 + 690_000)

        // 2: written at night while offline (09:00 UTC = 04:00 local), delivered at 10:00 local and never answered.
        try save(db, 2, gateway: aim, patron: "patron2", started: t0)
        try db.appendMessage(conversation: 2, direction: .inbound, sender: "patron", body: "hello?", messageID: nil, at: Self.monday + 9 * Self.hour)
        try save(db, 2, gateway: aim, patron: "patron2", started: t0, ended: t0 + 60_000)

        // 3: the patron texted STOP before anyone answered, then the chat was closed.
        try save(db, 3, gateway: sms, patron: "+15551230003", started: t0 + 60_000)
        try db.appendMessage(conversation: 3, direction: .inbound, sender: "patron", body: "hi", messageID: nil, at: t0 + 60_000)
        try db.appendMessage(conversation: 3, direction: .inbound, sender: "patron",
                             body: "STOP\n[The patron opted out of texts from this number. Replies will not be sent until they text START.]",
                             messageID: nil, at: t0 + 70_000)
        try save(db, 3, gateway: sms, patron: "+15551230003", started: t0 + 60_000, ended: t0 + 80_000)

        // 4: closed unanswered; 5: still waiting.
        try save(db, 4, gateway: sms, patron: "+15551230004", started: t0 + 2 * Self.hour)
        try db.appendMessage(conversation: 4, direction: .inbound, sender: "patron", body: "", messageID: nil, at: t0 + 2 * Self.hour)
        try save(db, 4, gateway: sms, patron: "+15551230004", started: t0 + 2 * Self.hour, ended: t0 + 2 * Self.hour + 5_000)
        try save(db, 5, gateway: sms, patron: "+15551230005", started: t0 + 3 * Self.hour)

        let (updated, remaining) = try db.updateChatStatistics(timeZones: Self.zones)
        #expect(updated == 5 && remaining == 0)
        let localTen = (t0 - 5 * Self.hour) / Self.hour
        #expect(try db.chatStatistics(conversation: 1) == ChatStatisticsRow(
            queue: "ask", protocolName: "twilio", operatorName: "alice", localHour: localTen, outcome: .answered, arrivedOffline: false,
            transfers: 1, messagesIn: 2, messagesOut: 2, optedOut: false, failures: 1, waitMilliseconds: 90_000, durationMilliseconds: 600_000))
        #expect(try db.chatStatistics(conversation: 2) == ChatStatisticsRow(
            queue: "ask", protocolName: "aim", operatorName: "", localHour: (Self.monday + 4 * Self.hour) / Self.hour, outcome: .missedOffline,
            arrivedOffline: true, transfers: 0, messagesIn: 1, messagesOut: 0, optedOut: false, failures: 0, waitMilliseconds: nil,
            durationMilliseconds: nil))
        #expect(try db.chatStatistics(conversation: 3)?.outcome == .missedAbandoned)
        #expect(try db.chatStatistics(conversation: 3)?.optedOut == true)
        #expect(try db.chatStatistics(conversation: 4)?.outcome == .missedUnanswered)
        #expect(try db.chatStatistics(conversation: 5)?.outcome == .waiting)

        // Monday 00:00 to Tuesday 00:00 local.
        let day = StatisticsSelection(queue: "ask", fromHour: (Self.monday) / Self.hour, toHour: (Self.monday) / Self.hour + 24)
        let total = try db.statisticsCountsByHour(day).reduce(StatisticsCounts()) { $0 + $1.counts }
        let alice = StatisticsSelection(queue: "ask", operatorName: "alice", fromHour: day.fromHour, toHour: day.toHour)
        #expect(try db.statisticsCountsByHour(alice).map(\.counts.started) == [1])
        var expected = StatisticsCounts()
        expected.started = 5
        expected.answered = 1
        expected.waiting = 1
        expected.missedOffline = 1
        expected.missedUnanswered = 1
        expected.missedAbandoned = 1
        expected.arrivedOffline = 1
        expected.transferred = 1
        expected.messagesIn = 6
        expected.messagesOut = 2
        expected.optedOut = 1
        expected.failures = 1
        #expect(total == expected)
        #expect(try db.statisticsCounts(day, by: .protocol).map(\.group) == ["aim", "twilio"])
        #expect(try db.statisticsCounts(day, by: .operator).map { ($0.group, $0.counts.started) }.elementsEqual([("", 4), ("alice", 1)], by: ==))
        // Monday 10:00 local is hour 10 of the week; 04:00 is hour 4.
        #expect(try db.busiestHours(day) == [10: 2, 4: 1, 12: 1, 13: 1])
        #expect(try db.answeredChatTimes(day).firstReplies == [90_000])
        #expect(try db.answeredChatTimes(day).durations == [600_000])
        var aliceOnly = day
        aliceOnly.operatorName = "alice"
        #expect(try db.answeredChatTimes(aliceOnly).firstReplies == [90_000])
        aliceOnly.operatorName = "bob"
        #expect(try db.answeredChatTimes(aliceOnly).count == 0)
        var texts = day
        texts.protocolName = "twilio"
        #expect(try db.answeredChatTimes(texts).durations == [600_000])
        let export = try db.chatExport(day, after: 0, limit: 10)
        #expect(export.map(\.id) == [1, 2, 3, 4, 5])
        #expect(export[1].firstMessageAt == Self.monday + 9 * Self.hour)
        #expect(try db.chatExport(day, after: 3, limit: 1).map(\.id) == [4])
    }

    @Test("a changed chat moves between hours and outcomes without counting twice; a queue's new time zone moves its chats")
    func incremental() throws {
        let scratch = try ScratchDirectory()
        let (db, sms, _) = try prepared(scratch)
        let t0 = Self.monday + 15 * Self.hour
        try save(db, 1, gateway: sms, patron: "+15551230001", started: t0)
        try db.updateChatStatistics(timeZones: Self.zones)
        let all = StatisticsSelection(fromHour: 0, toHour: 1_000_000)
        #expect(try db.statisticsCountsByHour(all).map(\.counts.waiting) == [1])
        #expect(try db.statisticsCounts(all, by: .operator).map(\.group) == [""])

        try save(db, 1, gateway: sms, patron: "+15551230001", operator: "alice", started: t0, answered: t0 + 5_000)
        #expect(try db.pendingChatStatistics() == 1)
        try db.updateChatStatistics(timeZones: Self.zones)
        let counts = try db.statisticsCountsByHour(all)
        #expect(counts.count == 1 && counts[0].counts.started == 1 && counts[0].counts.answered == 1 && counts[0].counts.waiting == 0)
        #expect(try db.statisticsCounts(all, by: .operator).map(\.group) == ["alice"], "the day sums follow the change too")

        let utc = StatisticsTimeZones.utc
        #expect(try db.updateChatStatistics(timeZones: utc).updated == 1)
        #expect(try db.statisticsCountsByHour(all).map(\.hour) == [t0 / Self.hour])
        #expect(try db.updateChatStatistics(timeZones: utc).updated == 0)
    }

    @Test("the history kept before statistics existed is counted")
    func existingHistory() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("router.sqlite")
        do {
            let db = try SQLiteConnection.openDatabase(at: path, migrations: Array(RouterSchema.migrations.prefix(4)), logger: quietLogger)
            try db.insertQueue(RouterConfigurationTests.askQueue)
            let gateway = try db.insertGateway(protocol: "aim", queue: "ask", username: "x", normalisedUsername: "x", secret: "", at: 1)
            try save(db, 7, gateway: gateway, patron: "p", operator: "alice", started: Self.monday, answered: Self.monday + 1000, ended: Self.monday + 61_000)
            try db.close()
        }
        let db = try openRouterDatabase(path)
        #expect(try db.pendingChatStatistics() == 1)
        try db.updateChatStatistics(timeZones: .utc)
        #expect(try db.chatStatistics(conversation: 7)?.durationMilliseconds == 60_000)
    }
}
