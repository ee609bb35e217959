/// Statistics: the indexer that keeps `chat_statistics` and `chat_hours` true to the history, and the queries that
/// read them (see `RouterSchema.version6`).
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
                transfers, messages_in, messages_out, opted_out, failures, wait_ms, first_reply_ms, duration_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            bindings: [
                id, row.queue, row.protocolName, row.operatorName, row.localHour, row.outcome.rawValue, row.arrivedOffline, row.transfers,
                row.messagesIn, row.messagesOut, row.optedOut, row.failures, row.waitMilliseconds,
                row.arrivedOffline ? nil : row.waitMilliseconds, row.durationMilliseconds,
            ]
        )
    }

    /// The sums a chat is part of: (table, key columns, key values).
    private static func rollups(of row: ChatStatisticsRow) -> [(String, [String], [any SQLiteBindable])] {
        [
            ("chat_hours", ["queue", "local_hour", "protocol"], [row.queue, row.localHour, row.protocolName]),
            ("chat_operator_hours", ["operator", "local_hour", "queue", "protocol"], [row.operatorName, row.localHour, row.queue, row.protocolName]),
            ("chat_operator_days", ["local_day", "queue", "protocol", "operator"],
             [floorDivide(row.localHour, 24), row.queue, row.protocolName, row.operatorName]),
        ]
    }

    private static let counterColumns = [
        "started", "answered", "waiting", "missed_offline", "missed_unanswered", "missed_abandoned", "arrived_offline", "transferred",
        "messages_in", "messages_out", "opted_out", "failures",
    ]

    /// Adds (`sign` 1) or takes away (-1) one chat's counts from each sum it is part of; a sum left with no chats goes.
    private func addToHours(_ row: ChatStatisticsRow, sign: Int) throws {
        func flag(_ value: Bool) -> Int { value ? sign : 0 }
        let counts: [any SQLiteBindable] = [
            sign, flag(row.outcome == .answered), flag(row.outcome == .waiting), flag(row.outcome == .missedOffline),
            flag(row.outcome == .missedUnanswered), flag(row.outcome == .missedAbandoned), flag(row.arrivedOffline), flag(row.transfers > 0),
            row.messagesIn * sign, row.messagesOut * sign, flag(row.optedOut), row.failures * sign,
        ]
        for (table, keys, values) in Self.rollups(of: row) {
            let columns = keys + Self.counterColumns
            let updates = Self.counterColumns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")
            try run(
                """
                INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
                ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(updates)
                """,
                bindings: values + counts
            )
            if sign < 0 {
                try run(
                    "DELETE FROM \(table) WHERE \(keys.map { "\($0) = ?" }.joined(separator: " AND ")) AND started = 0", bindings: values
                )
            }
        }
    }

    // MARK: Reading

    /// The `WHERE` clause for a selection: only the conditions that apply, so the fitting index is used.
    private static func whereClause(
        _ selection: StatisticsSelection, prefix: String = "", hourColumn: String = "local_hour", from: Int64? = nil, to: Int64? = nil,
        operatorColumn: Bool = true
    ) -> (String, [(any SQLiteBindable)?]) {
        var conditions: [String] = []
        var bindings: [(any SQLiteBindable)?] = []
        if operatorColumn, let operatorName = selection.operatorName {
            conditions.append("\(prefix)operator = ?")
            bindings.append(operatorName)
        }
        if let queue = selection.queue {
            conditions.append("\(prefix)queue = ?")
            bindings.append(queue)
        }
        conditions += ["\(prefix)\(hourColumn) >= ?", "\(prefix)\(hourColumn) < ?"]
        bindings += [from ?? selection.fromHour, to ?? selection.toHour]
        if let protocolName = selection.protocolName {
            conditions.append("\(prefix)protocol = ?")
            bindings.append(protocolName)
        }
        return (conditions.joined(separator: " AND "), bindings)
    }

    private static let countColumns = counterColumns.joined(separator: ", ")
    private static let countSums = counterColumns.map { "sum(\($0))" }.joined(separator: ", ")

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

    /// The selected chats' counts by local hour (an hour may come in several rows, one per queue and channel; hours
    /// with no chats are left out). Read from the hourly sums: per librarian when one is named.
    public func statisticsCountsByHour(_ selection: StatisticsSelection) throws -> [(hour: Int64, counts: StatisticsCounts)] {
        let table = selection.operatorName == nil ? "chat_hours" : "chat_operator_hours"
        let (clause, bindings) = Self.whereClause(selection, operatorColumn: selection.operatorName != nil)
        return try query("SELECT local_hour, \(Self.countColumns) FROM \(table) WHERE \(clause)", bindings: bindings) {
            (try $0.int64(0), try Self.counts($0, from: 1))
        }
    }

    /// The selected chats' counts by queue, protocol or librarian (empty: nobody).
    public func statisticsCounts(_ selection: StatisticsSelection, by dimension: StatisticsDimension) throws -> [(group: String, counts: StatisticsCounts)] {
        let column = dimension.column
        let sql: String
        let bindings: [(any SQLiteBindable)?]
        if dimension == .operator || selection.operatorName != nil {
            // Reports broken down by librarian cover whole days: the daily sums are a twenty-fourth of the hourly.
            let (clause, values) = Self.whereClause(
                selection, hourColumn: "local_day", from: Self.floorDivide(selection.fromHour, 24), to: Self.floorDivide(selection.toHour + 23, 24)
            )
            sql = "SELECT \(column), \(Self.countSums) FROM chat_operator_days WHERE \(clause) GROUP BY \(column) ORDER BY \(column)"
            bindings = values
        } else {
            let (clause, values) = Self.whereClause(selection, operatorColumn: false)
            sql = "SELECT \(column), \(Self.countSums) FROM chat_hours WHERE \(clause) GROUP BY \(column) ORDER BY \(column)"
            bindings = values
        }
        return try query(sql, bindings: bindings) { (try $0.string(0), try Self.counts($0, from: 1)) }
    }

    /// Chats started in each hour of the week, Monday 00:00–01:00 being hour 0 (1970-01-01 was a Thursday).
    public func busiestHours(_ selection: StatisticsSelection) throws -> [Int: Int] {
        var week: [Int: Int] = [:]
        for (hour, counts) in try statisticsCountsByHour(selection) {
            week[Int(((hour + 72) % 168 + 168) % 168), default: 0] += counts.started
        }
        return week
    }

    /// The times of the selected answered chats, for percentiles, read from the narrowest index that fits: by
    /// librarian when one is named, else by channel when one is named, else by queue (or hour, for every queue). A
    /// breakdown asks once per group, so no row carries its group's name. In local-hour order (the index's, no sort).
    public func answeredChatTimes(_ selection: StatisticsSelection) throws -> ChatTimes {
        let index =
            selection.operatorName != nil ? "chat_statistics_times_by_operator"
            : selection.protocolName != nil ? "chat_statistics_times_by_protocol"
            : selection.queue != nil ? "chat_statistics_times" : "chat_statistics_times_by_hour"
        let (clause, bindings) = Self.whereClause(selection)
        let sql = """
            SELECT local_hour, coalesce(first_reply_ms, -1), coalesce(duration_ms, -1)
            FROM chat_statistics INDEXED BY \(index) WHERE \(clause) AND outcome = 1 ORDER BY local_hour
            """
        return try withStatement(sql) { statement in
            try statement.bind(bindings)
            var times = ChatTimes()
            let row = statement.row
            while try statement.step() {
                times.localHours.append(try row.int64(0))
                times.firstReplies.append(try row.int64(1))
                times.durations.append(try row.int64(2))
            }
            return times
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
