/// How a chat went, as the statistics count it.
public enum ChatOutcome: Int, Sendable, CaseIterable {
    /// Still open and nobody has replied yet.
    case waiting = 0
    /// A librarian replied (at any time, also the morning after for a message left overnight).
    case answered = 1
    /// Ended without a reply after the patron wrote while the queue was offline (the offline inbox).
    case missedOffline = 2
    /// Ended without a reply although the queue was online when the patron wrote.
    case missedUnanswered = 3
    /// Ended without a reply after the patron opted out (texted STOP) before anyone answered: they left.
    case missedAbandoned = 4
}

/// One chat as the statistics count it: the row the indexer keeps in `chat_statistics`.
public struct ChatStatisticsRow: Sendable, Equatable {
    public var queue: String
    /// The gateway's protocol (`twilio`, `aim`, …); empty when the gateway was deleted before the chat was counted.
    public var protocolName: String
    /// The librarian who replied first; empty for chats nobody answered.
    public var operatorName: String
    /// Hours since 1970-01-01T00:00 on the queue's wall clock when the patron first wrote.
    public var localHour: Int64
    public var outcome: ChatOutcome
    /// The patron's first message waited in the offline inbox.
    public var arrivedOffline: Bool
    public var transfers: Int
    public var messagesIn: Int
    public var messagesOut: Int
    public var optedOut: Bool
    /// Replies that the network reported as not delivered.
    public var failures: Int
    /// From the patron's first message to the first reply (answered chats).
    public var waitMilliseconds: Int64?
    /// From the first reply to the end (answered chats that ended).
    public var durationMilliseconds: Int64?

    public init(
        queue: String, protocolName: String, operatorName: String, localHour: Int64, outcome: ChatOutcome, arrivedOffline: Bool,
        transfers: Int, messagesIn: Int, messagesOut: Int, optedOut: Bool, failures: Int, waitMilliseconds: Int64?,
        durationMilliseconds: Int64?
    ) {
        self.queue = queue
        self.protocolName = protocolName
        self.operatorName = operatorName
        self.localHour = localHour
        self.outcome = outcome
        self.arrivedOffline = arrivedOffline
        self.transfers = transfers
        self.messagesIn = messagesIn
        self.messagesOut = messagesOut
        self.optedOut = optedOut
        self.failures = failures
        self.waitMilliseconds = waitMilliseconds
        self.durationMilliseconds = durationMilliseconds
    }
}

/// Counts of chats and messages, summed over some chats.
public struct StatisticsCounts: Sendable, Equatable {
    public var started = 0
    public var answered = 0
    public var waiting = 0
    public var missedOffline = 0
    public var missedUnanswered = 0
    public var missedAbandoned = 0
    public var arrivedOffline = 0
    /// Chats transferred at least once.
    public var transferred = 0
    public var messagesIn = 0
    public var messagesOut = 0
    public var optedOut = 0
    public var failures = 0

    public init() {}

    public var missed: Int { missedOffline + missedUnanswered + missedAbandoned }

    public static func + (left: StatisticsCounts, right: StatisticsCounts) -> StatisticsCounts {
        var sum = left
        sum += right
        return sum
    }

    public static func += (left: inout StatisticsCounts, right: StatisticsCounts) {
        left.started += right.started
        left.answered += right.answered
        left.waiting += right.waiting
        left.missedOffline += right.missedOffline
        left.missedUnanswered += right.missedUnanswered
        left.missedAbandoned += right.missedAbandoned
        left.arrivedOffline += right.arrivedOffline
        left.transferred += right.transferred
        left.messagesIn += right.messagesIn
        left.messagesOut += right.messagesOut
        left.optedOut += right.optedOut
        left.failures += right.failures
    }
}

/// Which chats to count: optional queue, protocol and librarian, and a range of local hours (`to` exclusive).
public struct StatisticsSelection: Sendable, Equatable {
    public var queue: String?
    public var protocolName: String?
    public var operatorName: String?
    public var fromHour: Int64
    public var toHour: Int64

    public init(queue: String? = nil, protocolName: String? = nil, operatorName: String? = nil, fromHour: Int64, toHour: Int64) {
        self.queue = queue
        self.protocolName = protocolName
        self.operatorName = operatorName
        self.fromHour = fromHour
        self.toHour = toHour
    }
}

/// What statistics are grouped by, besides the local hour.
public enum StatisticsDimension: String, Sendable, CaseIterable {
    case queue
    case `protocol`
    case `operator`

    var column: String {
        switch self {
        case .queue: "queue"
        case .protocol: "protocol"
        case .operator: "operator"
        }
    }
}

/// Answered chats' times, for percentiles, as columns (a year of a busy desk is hundreds of thousands of chats:
/// three arrays cost far less than as many structs). Element `i` of each array belongs to the same chat.
public struct ChatTimes: Sendable, Equatable {
    public var localHours: [Int64] = []
    /// The wait for the first reply; -1 where the chat arrived while the queue was offline.
    public var firstReplies: [Int64] = []
    /// From the first reply to the end; -1 while the chat is open.
    public var durations: [Int64] = []

    public init() {}

    public var count: Int { localHours.count }
}

/// One chat as the CSV export lists it: no message text.
public struct ChatExportRow: Sendable, Equatable {
    public var id: Int64
    public var queue: String
    public var protocolName: String
    public var patron: String
    public var operatorName: String
    public var state: String
    /// When the patron first wrote (ms since the epoch, UTC).
    public var firstMessageAt: Int64
    public var localHour: Int64
    public var answeredAt: Int64?
    public var endedAt: Int64?
    public var outcome: ChatOutcome
    public var arrivedOffline: Bool
    public var transfers: Int
    public var messagesIn: Int
    public var messagesOut: Int
    public var optedOut: Bool
    public var failures: Int
    public var waitMilliseconds: Int64?
    public var durationMilliseconds: Int64?
}

/// How the indexer places chats in time: each queue's time zone, and the wall-clock time of an instant in a zone.
public struct StatisticsTimeZones: Sendable {
    /// The IANA zone a queue's statistics use (its own, else the library's).
    public var zoneOfQueue: @Sendable (String) -> String
    /// Milliseconds since 1970-01-01T00:00 on the zone's wall clock at the instant (ms since the epoch, UTC).
    public var wallClock: @Sendable (_ zone: String, _ instant: Int64) -> Int64

    public init(zoneOfQueue: @escaping @Sendable (String) -> String, wallClock: @escaping @Sendable (String, Int64) -> Int64) {
        self.zoneOfQueue = zoneOfQueue
        self.wallClock = wallClock
    }

    /// Every queue in UTC.
    public static let utc = StatisticsTimeZones(zoneOfQueue: { _ in "UTC" }, wallClock: { _, instant in instant })
}
