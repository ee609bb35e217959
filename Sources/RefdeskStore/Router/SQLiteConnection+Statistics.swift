/// Statistics: the indexer that keeps `chat_statistics` and `chat_hours` true to the history, and the queries that
/// read them (see `RouterSchema.version5`).
extension SQLiteConnection {
    /// What the SMS bridge adds to a patron's STOP text (`[The patron opted out of texts from this number. …]`): a line
    /// that carries it is an opt-out.
    public static let optOutMarker = "[The patron opted out of texts from this number."

    // MARK: Indexing

    /// Brings the statistics rows of up to `limit` changed chats up to date, after marking every chat of a queue whose
    /// time zone changed. Run inside a write transaction.
    /// - Returns: how many chats were brought up to date, and how many changed chats are left.
    @discardableResult
    public func updateChatStatistics(timeZones: StatisticsTimeZones, limit: Int = 5000) throws -> (updated: Int, remaining: Int) {
        for (queue, zone) in try query("SELECT queue, zone FROM statistics_zones", row: { (try $0.string(0), try $0.string(1)) }) {
            let current = timeZones.zoneOfQueue(queue)
            guard current != zone else { continue }
            try run("INSERT OR IGNORE INTO statistics_dirty (conversation_id) SELECT id FROM conversations WHERE queue = ?", queue)
            try run("UPDATE statistics_zones SET zone = ? WHERE queue = ?", current, queue)
        }
        let ids = try query("SELECT conversation_id FROM statistics_dirty ORDER BY conversation_id LIMIT ?", limit) { try $0.int64(0) }
        for id in ids {
            let old = try chatStatistics(conversation: id)
            let new = try computeChatStatistics(conversation: id, timeZones: timeZones, previous: old)
            if let old { try addToHours(old, sign: -1) }
            if let new {
                try addToHours(new, sign: 1)
                try saveChatStatistics(new, conversation: id)
                try run("INSERT OR IGNORE INTO statistics_zones (queue, zone) VALUES (?, ?)", new.queue, timeZones.zoneOfQueue(new.queue))
            } else if old != nil {
                try run("DELETE FROM chat_statistics WHERE conversation_id = ?", id)
            }
            try run("DELETE FROM statistics_dirty WHERE conversation_id = ?", id)
        }
        let remaining = try queryFirst("SELECT count(*) FROM statistics_dirty") { try $0.int(0) } ?? 0
        return (ids.count, remaining)
    }

    /// How many changed chats wait for the indexer.
    public func pendingChatStatistics() throws -> Int {
        try queryFirst("SELECT count(*) FROM statistics_dirty") { try $0.int(0) } ?? 0
    }

    /// A chat's statistics row as stored, or `nil`.
    public func chatStatistics(conversation id: Int64) throws -> ChatStatisticsRow? {
        try queryFirst(
            """
            SELECT queue, protocol, operator, local_hour, outcome, arrived_offline, transfers, messages_in, messages_out, opted_out,
                   failures, wait_ms, duration_ms
            FROM chat_statistics WHERE conversation_id = ?
            """,
            id
        ) { row in
            ChatStatisticsRow(
                queue: try row.string(0), protocolName: try row.string(1), operatorName: try row.string(2), localHour: try row.int64(3),
                outcome: try Self.outcome(try row.int(4)), arrivedOffline: try row.bool(5), transfers: try row.int(6), messagesIn: try row.int(7),
                messagesOut: try row.int(8), optedOut: try row.bool(9), failures: try row.int(10), waitMilliseconds: row.optionalInt64(11),
                durationMilliseconds: row.optionalInt64(12)
            )
        }
    }

    private static func outcome(_ value: Int) throws -> ChatOutcome {
        guard let outcome = ChatOutcome(rawValue: value) else {
            throw StoreError.unexpectedValue(table: "chat_statistics", column: "outcome", value: "\(value)")
        }
        return outcome
    }

    /// A chat as the statistics count it, from the history; `nil` when the conversation does not exist.
    func computeChatStatistics(conversation id: Int64, timeZones: StatisticsTimeZones, previous: ChatStatisticsRow?) throws -> ChatStatisticsRow? {
        guard
            let chat = try queryFirst(
                """
                SELECT c.queue, c.operator, c.started_at, c.answered_at, c.ended_at, g.protocol
                FROM conversations c LEFT JOIN gateways g ON g.id = c.gateway_id WHERE c.id = ?
                """,
                id,
                row: { row in
                    (
                        queue: try row.string(0), operatorName: row.optionalString(1), startedAt: try row.int64(2), answeredAt: row.optionalInt64(3),
                        endedAt: row.optionalInt64(4), protocolName: row.optionalString(5)
                    )
                }
            )
        else { return nil }
        let lines = try queryFirst(
            """
            SELECT min(CASE WHEN direction = 'in' THEN at END), count(CASE WHEN direction = 'in' THEN 1 END),
                   count(CASE WHEN direction = 'out' THEN 1 END), max(direction = 'in' AND instr(body, ?1) > 0)
            FROM messages WHERE conversation_id = ?2
            """,
            Self.optOutMarker, id
        ) { row in
            (firstIn: row.optionalInt64(0), inbound: try row.int(1), outbound: try row.int(2), optedOut: (row.optionalInt64(3) ?? 0) != 0)
        } ?? (firstIn: nil, inbound: 0, outbound: 0, optedOut: false)
        let firstReplier = try queryFirst(
            "SELECT sender FROM messages WHERE conversation_id = ? AND direction = 'out' ORDER BY id LIMIT 1", id
        ) { try $0.string(0) }
        let transfers = try queryFirst("SELECT count(*) FROM conversation_transfers WHERE conversation_id = ?", id) { try $0.int(0) } ?? 0
        let failures = try queryFirst(
            "SELECT count(*) FROM delivery_reports WHERE conversation_id = ? AND status = 'failed'", id
        ) { try $0.int(0) } ?? 0

        // Messages that waited in the offline inbox keep the time the patron sent them, before the chat began.
        let firstMessage = min(lines.firstIn ?? chat.startedAt, chat.startedAt)
        let arrivedOffline = firstMessage < chat.startedAt
        let outcome: ChatOutcome
        if chat.answeredAt != nil {
            outcome = .answered
        } else if chat.endedAt == nil {
            outcome = .waiting
        } else if arrivedOffline {
            outcome = .missedOffline
        } else if lines.optedOut {
            outcome = .missedAbandoned
        } else {
            outcome = .missedUnanswered
        }
        let zone = timeZones.zoneOfQueue(chat.queue)
        let wallClock = timeZones.wallClock(zone, firstMessage)
        let operatorName = chat.answeredAt == nil ? "" : (firstReplier ?? chat.operatorName ?? "")
        return ChatStatisticsRow(
            queue: chat.queue,
            protocolName: chat.protocolName ?? previous?.protocolName ?? "",
            operatorName: operatorName,
            localHour: Self.floorDivide(wallClock, 3_600_000),
            outcome: outcome,
            arrivedOffline: arrivedOffline,
            transfers: transfers,
            messagesIn: lines.inbound,
            messagesOut: lines.outbound,
            optedOut: lines.optedOut,
            failures: failures,
            waitMilliseconds: chat.answeredAt.map { max(0, $0 - firstMessage) },
            durationMilliseconds: chat.answeredAt.flatMap { answered in chat.endedAt.map { max(0, $0 - answered) } }
        )
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }

    private func saveChatStatistics(_ row: ChatStatisticsRow, conversation id: Int64) throws {
        try run(
            """
            INSERT OR REPLACE INTO chat_statistics (conversation_id, queue, protocol, operator, local_hour, outcome, arrived_offline,
                transfers, messages_in, messages_out, opted_out, failures, wait_ms, duration_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            bindings: [
                id, row.queue, row.protocolName, row.operatorName, row.localHour, row.outcome.rawValue, row.arrivedOffline, row.transfers,
                row.messagesIn, row.messagesOut, row.optedOut, row.failures, row.waitMilliseconds, row.durationMilliseconds,
            ]
        )
    }

    /// Adds (`sign` 1) or takes away (-1) one chat's counts from its hour; an hour left with no chats goes.
    private func addToHours(_ row: ChatStatisticsRow, sign: Int) throws {
        func flag(_ value: Bool) -> Int { value ? sign : 0 }
        try run(
            """
            INSERT INTO chat_hours (queue, local_hour, protocol, operator, started, answered, waiting, missed_offline, missed_unanswered,
                missed_abandoned, arrived_offline, transferred, messages_in, messages_out, opted_out, failures)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (queue, local_hour, protocol, operator) DO UPDATE SET
                started = started + excluded.started, answered = answered + excluded.answered, waiting = waiting + excluded.waiting,
                missed_offline = missed_offline + excluded.missed_offline, missed_unanswered = missed_unanswered + excluded.missed_unanswered,
                missed_abandoned = missed_abandoned + excluded.missed_abandoned, arrived_offline = arrived_offline + excluded.arrived_offline,
                transferred = transferred + excluded.transferred, messages_in = messages_in + excluded.messages_in,
                messages_out = messages_out + excluded.messages_out, opted_out = opted_out + excluded.opted_out,
                failures = failures + excluded.failures
            """,
            bindings: [
                row.queue, row.localHour, row.protocolName, row.operatorName, sign, flag(row.outcome == .answered), flag(row.outcome == .waiting),
                flag(row.outcome == .missedOffline), flag(row.outcome == .missedUnanswered), flag(row.outcome == .missedAbandoned),
                flag(row.arrivedOffline), flag(row.transfers > 0), row.messagesIn * sign, row.messagesOut * sign, flag(row.optedOut),
                row.failures * sign,
            ]
        )
        if sign < 0 {
            try run(
                "DELETE FROM chat_hours WHERE queue = ? AND local_hour = ? AND protocol = ? AND operator = ? AND started = 0",
                row.queue, row.localHour, row.protocolName, row.operatorName
            )
        }
    }

    // MARK: Reading

    /// The `WHERE` clause for a selection over a table with `queue`, `local_hour`, `protocol`, `operator` columns,
    /// with only the conditions that apply, so the queue's index is used when a queue is named.
    private static func whereClause(_ selection: StatisticsSelection, prefix: String = "") -> (String, [(any SQLiteBindable)?]) {
        var conditions = ["\(prefix)local_hour >= ?", "\(prefix)local_hour < ?"]
        var bindings: [(any SQLiteBindable)?] = [selection.fromHour, selection.toHour]
        if let queue = selection.queue {
            conditions.insert("\(prefix)queue = ?", at: 0)
            bindings.insert(queue, at: 0)
        }
        if let protocolName = selection.protocolName {
            conditions.append("\(prefix)protocol = ?")
            bindings.append(protocolName)
        }
        if let operatorName = selection.operatorName {
            conditions.append("\(prefix)operator = ?")
            bindings.append(operatorName)
        }
        return (conditions.joined(separator: " AND "), bindings)
    }

    private static let countSums = """
        sum(started), sum(answered), sum(waiting), sum(missed_offline), sum(missed_unanswered), sum(missed_abandoned),
        sum(arrived_offline), sum(transferred), sum(messages_in), sum(messages_out), sum(opted_out), sum(failures)
        """

    private static func counts(_ row: SQLiteRow, from first: Int32) throws -> StatisticsCounts {
        var counts = StatisticsCounts()
        counts.started = try row.int(first)
        counts.answered = try row.int(first + 1)
        counts.waiting = try row.int(first + 2)
        counts.missedOffline = try row.int(first + 3)
        counts.missedUnanswered = try row.int(first + 4)
        counts.missedAbandoned = try row.int(first + 5)
        counts.arrivedOffline = try row.int(first + 6)
        counts.transferred = try row.int(first + 7)
        counts.messagesIn = try row.int(first + 8)
        counts.messagesOut = try row.int(first + 9)
        counts.optedOut = try row.int(first + 10)
        counts.failures = try row.int(first + 11)
        return counts
    }

    /// The selected chats' counts by local hour, hours with no chats left out.
    public func statisticsCountsByHour(_ selection: StatisticsSelection) throws -> [(hour: Int64, counts: StatisticsCounts)] {
        let (clause, bindings) = Self.whereClause(selection)
        return try query("SELECT local_hour, \(Self.countSums) FROM chat_hours WHERE \(clause) GROUP BY local_hour ORDER BY local_hour", bindings: bindings) {
            (try $0.int64(0), try Self.counts($0, from: 1))
        }
    }

    /// The selected chats' counts by queue, protocol or librarian (empty: nobody).
    public func statisticsCounts(_ selection: StatisticsSelection, by dimension: StatisticsDimension) throws -> [(group: String, counts: StatisticsCounts)] {
        let (clause, bindings) = Self.whereClause(selection)
        let column = dimension.column
        return try query(
            "SELECT \(column), \(Self.countSums) FROM chat_hours WHERE \(clause) GROUP BY \(column) ORDER BY \(column)", bindings: bindings
        ) { (try $0.string(0), try Self.counts($0, from: 1)) }
    }

    /// Chats started in each hour of the week, Monday 00:00–01:00 being hour 0 (1970-01-01 was a Thursday).
    public func busiestHours(_ selection: StatisticsSelection) throws -> [Int: Int] {
        let (clause, bindings) = Self.whereClause(selection)
        let rows = try query(
            "SELECT (local_hour + 72) % 168, sum(started) FROM chat_hours WHERE \(clause) GROUP BY 1", bindings: bindings
        ) { (try $0.int(0), try $0.int(1)) }
        return Dictionary(rows, uniquingKeysWith: +)
    }

    /// The times of the selected answered chats (for percentiles), with the dimension's value when grouped by one.
    public func answeredChatTimes(_ selection: StatisticsSelection, by dimension: StatisticsDimension? = nil) throws -> [ChatTimes] {
        let (clause, bindings) = Self.whereClause(selection)
        let group = dimension.map(\.column) ?? "''"
        return try query(
            "SELECT local_hour, \(group), arrived_offline, wait_ms, duration_ms FROM chat_statistics WHERE \(clause) AND outcome = 1",
            bindings: bindings
        ) { row in
            ChatTimes(
                localHour: try row.int64(0), group: try row.string(1), arrivedOffline: try row.bool(2), waitMilliseconds: row.optionalInt64(3),
                durationMilliseconds: row.optionalInt64(4)
            )
        }
    }

    /// Up to `limit` selected chats after chat `after`, in id order, for the CSV export. The chats are walked in id
    /// order (no index), so each page starts where the last ended instead of sorting the whole selection again.
    public func chatExport(_ selection: StatisticsSelection, after: Int64, limit: Int) throws -> [ChatExportRow] {
        let (clause, bindings) = Self.whereClause(selection, prefix: "s.")
        return try query(
            """
            SELECT c.id, s.queue, s.protocol, c.patron, s.operator, c.state, c.started_at, s.local_hour, c.answered_at, c.ended_at, s.outcome,
                   s.arrived_offline, s.transfers, s.messages_in, s.messages_out, s.opted_out, s.failures, s.wait_ms, s.duration_ms,
                   (SELECT min(at) FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in')
            FROM chat_statistics s NOT INDEXED JOIN conversations c ON c.id = s.conversation_id
            WHERE s.conversation_id > ? AND \(clause)
            ORDER BY s.conversation_id LIMIT ?
            """,
            bindings: [after] + bindings + [limit]
        ) { row in
            let startedAt = try row.int64(6)
            return ChatExportRow(
                id: try row.int64(0), queue: try row.string(1), protocolName: try row.string(2), patron: try row.string(3),
                operatorName: try row.string(4), state: try row.string(5), firstMessageAt: min(row.optionalInt64(19) ?? startedAt, startedAt),
                localHour: try row.int64(7), answeredAt: row.optionalInt64(8), endedAt: row.optionalInt64(9), outcome: try Self.outcome(try row.int(10)),
                arrivedOffline: try row.bool(11), transfers: try row.int(12), messagesIn: try row.int(13), messagesOut: try row.int(14),
                optedOut: try row.bool(15), failures: try row.int(16), waitMilliseconds: row.optionalInt64(17), durationMilliseconds: row.optionalInt64(18)
            )
        }
    }
}
