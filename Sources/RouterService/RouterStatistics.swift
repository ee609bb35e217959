import AdminAPI
import Logging
import RefdeskStore
import ServiceLifecycle
import TimeZoneDatabase

/// The statistics, the CSV export and transcripts, read from the router's database.
///
/// Reads go through a connection of their own (SQLite in WAL mode lets it read while the router writes), so a
/// year-long report never holds up the router's commits. The indexer (`run`) keeps the statistics rows up to date:
/// about once a second it counts the chats that changed, through the router's own writer so its writes are grouped
/// with the router's; a report first counts whatever changed since.
public final class RouterStatistics: StatisticsBackend, Service {
    let writer: DatabaseExecutor
    let reader: DatabaseExecutor
    /// The library's time zone (`router.time_zone`): queues without one of their own use it.
    let libraryZone: String
    let logger: Logger
    let now: @Sendable () -> Int64

    public init(router: Router, databasePath: String, libraryZone: String, logger: Logger, now: @escaping @Sendable () -> Int64) throws {
        writer = router.database
        reader = try DatabaseExecutor(path: databasePath, migrations: RouterSchema.migrations, logger: logger)
        self.libraryZone = libraryZone
        self.logger = logger
        self.now = now
    }

    /// How many chats the indexer brings up to date in one commit.
    static let batch = 2000

    // MARK: The indexer

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let remaining = try await self.catchUp(limit: Self.batch)
                    if remaining > 0 { continue }
                } catch {
                    self.logger.error("statistics could not be brought up to date", metadata: ["error": "\(error)"])
                }
                do {
                    try await Task.sleep(for: .seconds(1))
                } catch {
                    return
                }
            }
        }
        await reader.close()
    }

    /// Brings up to `limit` changed chats up to date; returns how many are left.
    @discardableResult
    func catchUp(limit: Int) async throws -> Int {
        let pending = try await reader.read { try $0.pendingChatStatistics() }
        guard pending > 0 else { return 0 }
        let libraryZone = libraryZone
        return try await writer.write { connection in
            let zones = Self.timeZones(queues: try connection.storedQueues(), libraryZone: libraryZone)
            return try connection.updateChatStatistics(timeZones: zones, limit: limit).remaining
        }
    }

    /// Each queue's zone (its own, else the library's) and wall clocks from the system's tz database; a zone the
    /// system does not know counts as UTC.
    static func timeZones(queues: [StoredQueue], libraryZone: String) -> StatisticsTimeZones {
        let zones = Dictionary(queues.compactMap { queue in queue.record.timeZone.map { (queue.record.name, $0) } }, uniquingKeysWith: { first, _ in first })
        return StatisticsTimeZones(
            zoneOfQueue: { zones[$0] ?? libraryZone },
            wallClock: { zone, instant in instant + Int64(ZoneinfoDirectory.system.offsetFromUTC(in: zone, atUnixMilliseconds: instant) ?? 0) * 1000 }
        )
    }

    // MARK: StatisticsBackend

    public func today() async -> Int {
        let instant = now()
        let offset = Int64(ZoneinfoDirectory.system.offsetFromUTC(in: libraryZone, atUnixMilliseconds: instant) ?? 0) * 1000
        let wall = instant + offset
        return Int(wall >= 0 ? wall / 86_400_000 : (wall - 86_399_999) / 86_400_000)
    }

    public func statistics(_ request: StatisticsRequest) async throws -> StatisticsReport {
        let pending = try await catchUp(limit: 10 * Self.batch)
        let selection = Self.selection(request)
        let breakdown = request.breakdown.map(Self.dimension)
        let rows = try await reader.read { connection in
            let groups = try breakdown.map { try connection.statisticsCounts(selection, by: $0) } ?? []
            var groupTimes: [String: ChatTimes] = [:]
            if let breakdown {
                for (group, _) in groups {
                    var one = selection
                    switch breakdown {
                    case .queue: one.queue = group
                    case .protocol: one.protocolName = group
                    case .operator: one.operatorName = group
                    }
                    groupTimes[group] = try connection.answeredChatTimes(one)
                }
            }
            // The groups of a breakdown are all the selected chats: their times together are the totals'.
            var times = ChatTimes()
            if breakdown == nil {
                times = try connection.answeredChatTimes(selection)
            } else {
                for part in groupTimes.values {
                    times.localHours += part.localHours
                    times.firstReplies += part.firstReplies
                    times.durations += part.durations
                }
            }
            return (hours: try connection.statisticsCountsByHour(selection), groups: groups, times: times, groupTimes: groupTimes)
        }
        func times(_ times: ChatTimes) -> AnsweredChatTimes {
            AnsweredChatTimes(localHours: times.localHours, firstReplies: times.firstReplies, durations: times.durations)
        }
        let label = { (group: String) in breakdown == .protocol ? Self.channel(group) : group }
        return StatisticsReport(
            request: request,
            hourCounts: rows.hours.map { ($0.hour, Self.counts($0.counts)) },
            groupCounts: rows.groups.map { (label($0.group), Self.counts($0.counts)) },
            times: times(rows.times),
            groupTimes: Dictionary(rows.groupTimes.map { (label($0.key), times($0.value)) }, uniquingKeysWith: { first, _ in first }),
            hoursOfWeek: Self.hoursOfWeek(rows.hours),
            pendingChats: pending
        )
    }

    public func exportChats(_ request: StatisticsRequest, after: Int64, limit: Int) async throws -> [ExportedChat] {
        if after == 0 { try await catchUp(limit: 10 * Self.batch) }
        let selection = Self.selection(request)
        let libraryZone = libraryZone
        let (rows, queues) = try await reader.read { connection in
            (try connection.chatExport(selection, after: after, limit: limit), try connection.storedQueues())
        }
        let zones = Self.timeZones(queues: queues, libraryZone: libraryZone)
        return rows.map { row in
            let wall = zones.wallClock(zones.zoneOfQueue(row.queue), row.firstMessageAt)
            return ExportedChat(
                id: row.id, queue: row.queue, channel: Self.channel(row.protocolName), librarian: row.operatorName, patron: row.patron,
                state: row.state, outcome: Self.outcomeName(row.outcome), arrivedOffline: row.arrivedOffline, firstMessageAt: row.firstMessageAt,
                firstMessageLocal: Self.wallClockText(wall), answeredAt: row.answeredAt, endedAt: row.endedAt, waitMilliseconds: row.waitMilliseconds,
                durationMilliseconds: row.durationMilliseconds, messagesIn: row.messagesIn, messagesOut: row.messagesOut, transfers: row.transfers,
                optedOut: row.optedOut, deliveryFailures: row.failures
            )
        }
    }

    public func chatTranscript(_ id: Int64) async throws -> ChatTranscript {
        let loaded = try await reader.read { connection -> (ChatHistoryRow, Bool, [MessageRecord])? in
            guard let chat = try connection.chatHistoryRow(id: id) else { return nil }
            let keeps = try connection.storedQueue(named: chat.queueName)?.record.keepsTranscripts ?? true
            return (chat, keeps, try connection.messages(conversation: id))
        }
        guard let loaded else { throw AdminError.notFound("There is no chat \(id)") }
        let (row, keeps, messages) = loaded
        let chat = ChatInfo(
            id: row.id, queue: row.queueName, protocolName: row.protocolName, patron: row.patron, state: row.state,
            operatorName: row.operatorName, startedAt: row.startedAt, answeredAt: row.answeredAt, endedAt: row.endedAt
        )
        return ChatTranscript(
            chat: chat, keepsTranscripts: keeps,
            lines: messages.map { message in
                ChatTranscript.Line(
                    direction: message.direction.rawValue, sender: message.sender, text: keeps ? message.body : nil, at: message.at
                )
            }
        )
    }

    // MARK: Mapping

    /// Chats started by hour of the week (0 = Monday 00:00; 1970-01-01 was a Thursday).
    static func hoursOfWeek(_ hours: [(hour: Int64, counts: StatisticsCounts)]) -> [Int: Int] {
        var week: [Int: Int] = [:]
        for (hour, counts) in hours { week[Int(((hour + 72) % 168 + 168) % 168), default: 0] += counts.started }
        return week
    }

    static func selection(_ request: StatisticsRequest) -> StatisticsSelection {
        StatisticsSelection(
            queue: request.queue, protocolName: request.channel.map(protocolName), operatorName: request.operatorName,
            fromHour: request.hours.lowerBound, toHour: request.hours.upperBound
        )
    }

    static func dimension(_ breakdown: StatisticsBreakdown) -> StatisticsDimension {
        switch breakdown {
        case .queue: .queue
        case .channel: .protocol
        case .operator: .operator
        }
    }

    /// Channels by the names libraries use: the Twilio bridge's gateways are SMS.
    static func channel(_ protocolName: String) -> String {
        protocolName == "twilio" ? "sms" : protocolName
    }

    static func protocolName(_ channel: String) -> String {
        channel == "sms" ? "twilio" : channel
    }

    static func outcomeName(_ outcome: ChatOutcome) -> String {
        switch outcome {
        case .waiting: "waiting"
        case .answered: "answered"
        case .missedOffline: "missed_offline"
        case .missedUnanswered: "missed_unanswered"
        case .missedAbandoned: "missed_abandoned"
        }
    }

    static func counts(_ counts: StatisticsCounts) -> ChatCounts {
        var result = ChatCounts()
        result.started = counts.started
        result.answered = counts.answered
        result.waiting = counts.waiting
        result.missedOffline = counts.missedOffline
        result.missedUnanswered = counts.missedUnanswered
        result.missedAbandoned = counts.missedAbandoned
        result.arrivedOffline = counts.arrivedOffline
        result.transferred = counts.transferred
        result.messagesIn = counts.messagesIn
        result.messagesOut = counts.messagesOut
        result.optOuts = counts.optedOut
        result.deliveryFailures = counts.failures
        return result
    }

    /// `YYYY-MM-DD HH:MM` of a wall-clock time in ms.
    static func wallClockText(_ wall: Int64) -> String {
        let day = Int(wall >= 0 ? wall / 86_400_000 : (wall - 86_399_999) / 86_400_000)
        let minute = Int((wall - Int64(day) * 86_400_000) / 60_000)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return LocalDate.format(day) + " " + two(minute / 60) + ":" + two(minute % 60)
    }
}
