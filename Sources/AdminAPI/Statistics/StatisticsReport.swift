/// The statistics a library reports (reference transactions for annual surveys and staffing), built from counts per
/// local hour and the times of answered chats. Pure: the backend reads the rows, this shapes them, so the arithmetic
/// (periods in the queue's wall-clock time, percentiles) is tested on its own.

/// How many chats, as counted for one hour, queue, channel or librarian (or summed over several).
public struct ChatCounts: Sendable, Equatable {
    public var started = 0
    public var answered = 0
    public var waiting = 0
    public var missedOffline = 0
    public var missedUnanswered = 0
    public var missedAbandoned = 0
    public var arrivedOffline = 0
    public var transferred = 0
    public var messagesIn = 0
    public var messagesOut = 0
    public var optOuts = 0
    public var deliveryFailures = 0

    public init() {}

    public var missed: Int { missedOffline + missedUnanswered + missedAbandoned }

    public static func += (left: inout ChatCounts, right: ChatCounts) {
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
        left.optOuts += right.optOuts
        left.deliveryFailures += right.deliveryFailures
    }
}

/// Answered chats' times as columns: element `i` of each array is one chat; -1 means none (a first reply after a
/// night in the offline inbox, the length of a chat still open).
public struct AnsweredChatTimes: Sendable, Equatable {
    public var localHours: [Int64]
    public var firstReplies: [Int64]
    public var durations: [Int64]

    public init(localHours: [Int64] = [], firstReplies: [Int64] = [], durations: [Int64] = []) {
        self.localHours = localHours
        self.firstReplies = firstReplies
        self.durations = durations
    }

    var waits: [Int64] { firstReplies.filter { $0 >= 0 } }
    var lengths: [Int64] { durations.filter { $0 >= 0 } }
}

/// What a period of statistics spans, on the queue's wall clock.
public enum StatisticsPeriod: String, Sendable, CaseIterable {
    case hour, day, week, month
    /// The whole range as one row.
    case range
}

/// What to break the figures down by instead of periods.
public enum StatisticsBreakdown: String, Sendable, CaseIterable {
    case queue, channel, `operator`
}

/// A statistics request, checked: dates are local calendar days (in each queue's time zone), `to` inclusive.
public struct StatisticsRequest: Sendable, Equatable {
    public var queue: String?
    /// `sms`, `aim` (or another bridge's protocol name).
    public var channel: String?
    public var operatorName: String?
    /// Days since 1970-01-01.
    public var fromDay: Int
    public var toDay: Int
    public var period: StatisticsPeriod = .day
    public var breakdown: StatisticsBreakdown?

    public init(queue: String? = nil, channel: String? = nil, operatorName: String? = nil, fromDay: Int, toDay: Int) {
        self.queue = queue
        self.channel = channel
        self.operatorName = operatorName
        self.fromDay = fromDay
        self.toDay = toDay
    }

    /// Local hours covered, `to` exclusive.
    public var hours: Range<Int64> { Int64(fromDay) * 24..<Int64(toDay + 1) * 24 }

    /// The largest number of rows a report may have.
    public static let maximumRows = 10_000
}

/// The figures of one row (or of the totals).
public struct StatisticsFigures: Sendable, Equatable {
    public var counts: ChatCounts
    /// Seconds from the patron's first message to the first reply, for chats answered while the queue was online.
    public var firstReplyP50: Double?
    public var firstReplyP90: Double?
    /// Seconds from the first reply to the end of the chat.
    public var durationP50: Double?
    public var durationP90: Double?

    public init(counts: ChatCounts, waits: [Int64], durations: [Int64]) {
        self.counts = counts
        (firstReplyP50, firstReplyP90) = Self.medianAndNinetieth(waits)
        (durationP50, durationP90) = Self.medianAndNinetieth(durations)
    }

    /// The rank (1-based) of the nearest-rank percentile `p` of `count` values: the smallest value that at least
    /// `p` % of the values do not exceed.
    static func rank(_ p: Int, of count: Int) -> Int { max(1, (p * count + 99) / 100) }

    /// The nearest-rank percentile of sorted milliseconds, in seconds (to the millisecond).
    public static func percentile(_ p: Int, of sorted: [Int64]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        return Double(sorted[rank(p, of: sorted.count) - 1]) / 1000
    }

    /// p50 and p90 in seconds, found by selection (linear on average) rather than by sorting: a year can be
    /// hundreds of thousands of values.
    static func medianAndNinetieth(_ values: [Int64]) -> (Double?, Double?) {
        guard !values.isEmpty else { return (nil, nil) }
        var values = values
        let median = rank(50, of: values.count) - 1
        let ninetieth = rank(90, of: values.count) - 1
        values.withUnsafeMutableBufferPointer { buffer in
            select(buffer, median, in: 0..<buffer.count)
            select(buffer, ninetieth, in: median..<buffer.count)
        }
        return (Double(values[median]) / 1000, Double(values[ninetieth]) / 1000)
    }

    /// Moves the `k`-th smallest of `values[range]` to index `k`, smaller ones before it and larger after (Hoare's
    /// selection with the middle element as pivot, three-way partition so equal values do not degrade it).
    static func select(_ values: UnsafeMutableBufferPointer<Int64>, _ k: Int, in range: Range<Int>) {
        var low = range.lowerBound
        var high = range.upperBound - 1
        while low < high {
            let pivot = values[low + (high - low) / 2]
            var less = low
            var index = low
            var greater = high
            while index <= greater {
                if values[index] < pivot {
                    values.swapAt(less, index)
                    less += 1
                    index += 1
                } else if values[index] > pivot {
                    values.swapAt(index, greater)
                    greater -= 1
                } else {
                    index += 1
                }
            }
            if k < less {
                high = less - 1
            } else if k > greater {
                low = greater + 1
            } else {
                return
            }
        }
    }

    /// The figures in the order and with the names the API, the CSV summary and the console use.
    public var fields: [(String, JSONValue)] {
        func seconds(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
        return [
            ("started", .integer(Int64(counts.started))), ("answered", .integer(Int64(counts.answered))),
            ("missed", .integer(Int64(counts.missed))), ("missedOffline", .integer(Int64(counts.missedOffline))),
            ("missedUnanswered", .integer(Int64(counts.missedUnanswered))), ("missedAbandoned", .integer(Int64(counts.missedAbandoned))),
            ("waiting", .integer(Int64(counts.waiting))), ("arrivedOffline", .integer(Int64(counts.arrivedOffline))),
            ("transferred", .integer(Int64(counts.transferred))), ("messagesIn", .integer(Int64(counts.messagesIn))),
            ("messagesOut", .integer(Int64(counts.messagesOut))), ("firstReplyP50", seconds(firstReplyP50)),
            ("firstReplyP90", seconds(firstReplyP90)), ("durationP50", seconds(durationP50)), ("durationP90", seconds(durationP90)),
            ("optOuts", .integer(Int64(counts.optOuts))), ("deliveryFailures", .integer(Int64(counts.deliveryFailures))),
        ]
    }
}

/// A whole report: totals, rows (periods or a breakdown), and the busiest hours.
public struct StatisticsReport: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// The period (`2024-05-06`, `2024-05-06T14:00`, `2024-05`, the Monday of a week) or the group's name.
        public var label: String
        public var figures: StatisticsFigures
    }

    public var request: StatisticsRequest
    public var totals: StatisticsFigures
    public var rows: [Row]
    /// Chats started by day of the week (Monday first) and hour of the day, on the queue's wall clock.
    public var busiestHours: [[Int]]
    /// Chats changed so recently that the figures do not count them yet (normally 0).
    public var pendingChats: Int

    /// Builds a report from counts per local hour (an hour may come in several rows) or per group (for a breakdown),
    /// answered chats' times, and chats started per hour of the week (0 = Monday 00:00).
    ///
    /// Chats are put into periods by an integer key first and labelled once per period: a year of a busy desk is some
    /// hundreds of thousands of times, and formatting a date for each would cost more than reading them.
    public init(
        request: StatisticsRequest, hourCounts: [(hour: Int64, counts: ChatCounts)], groupCounts: [(group: String, counts: ChatCounts)],
        times: AnsweredChatTimes, groupTimes: [String: AnsweredChatTimes] = [:], hoursOfWeek: [Int: Int], pendingChats: Int
    ) {
        self.request = request
        self.pendingChats = pendingChats
        var total = ChatCounts()
        if request.breakdown != nil {
            for (_, counts) in groupCounts { total += counts }
        } else {
            for (_, counts) in hourCounts { total += counts }
        }
        let allWaits = times.waits
        let allDurations = times.lengths
        totals = StatisticsFigures(counts: total, waits: allWaits, durations: allDurations)

        if request.breakdown != nil {
            rows = groupCounts.map { group, counts in
                let times = groupTimes[group] ?? AnsweredChatTimes()
                return Row(label: group, figures: StatisticsFigures(counts: counts, waits: times.waits, durations: times.lengths))
            }
        } else {
            let keyer = PeriodKeyer(period: request.period)
            var counts: [Int64: ChatCounts] = [:]
            for (hour, hourCounts) in hourCounts { counts[keyer.key(hour), default: ChatCounts()] += hourCounts }
            // Every period of the range has a row, the quiet ones too: a chart or a spreadsheet shows them as zero.
            var hour = request.hours.lowerBound
            while hour < request.hours.upperBound {
                let key = keyer.key(hour)
                if counts[key] == nil { counts[key] = ChatCounts() }
                hour += request.period == .hour ? 1 : 24
            }
            var waitsByPeriod: [Int64: [Int64]] = [:]
            var durationsByPeriod: [Int64: [Int64]] = [:]
            if request.period == .range {
                waitsByPeriod[0] = allWaits
                durationsByPeriod[0] = allDurations
            } else {
                // The times come in local-hour order, so a period's are one run: collected without a lookup per chat.
                var lastHour = Int64.min
                var key: Int64 = 0
                var waits: [Int64] = []
                var lengths: [Int64] = []
                func flush() {
                    if !waits.isEmpty { waitsByPeriod[key, default: []] += waits }
                    if !lengths.isEmpty { durationsByPeriod[key, default: []] += lengths }
                    waits.removeAll(keepingCapacity: true)
                    lengths.removeAll(keepingCapacity: true)
                }
                for (index, hour) in times.localHours.enumerated() {
                    if hour != lastHour {
                        let next = keyer.key(hour)
                        if next != key {
                            flush()
                            key = next
                        }
                        lastHour = hour
                    }
                    if times.firstReplies[index] >= 0 { waits.append(times.firstReplies[index]) }
                    if times.durations[index] >= 0 { lengths.append(times.durations[index]) }
                }
                flush()
            }
            rows = counts.keys.sorted().map { key in
                Row(
                    label: keyer.label(key, request: request),
                    figures: StatisticsFigures(counts: counts[key] ?? ChatCounts(), waits: waitsByPeriod[key] ?? [], durations: durationsByPeriod[key] ?? [])
                )
            }
        }
        var table = Array(repeating: Array(repeating: 0, count: 24), count: 7)
        for (hour, chats) in hoursOfWeek where (0..<168).contains(hour) { table[hour / 24][hour % 24] += chats }
        busiestHours = table
    }

    /// Local hours to period keys (hours, days, Mondays, months since 1970) and keys to labels.
    struct PeriodKeyer {
        let period: StatisticsPeriod
        /// The last day turned into a month, since consecutive hours mostly fall on the same day.
        private final class MonthCache {
            var day = Int.min
            var month: Int64 = 0
        }
        private let cache = MonthCache()

        init(period: StatisticsPeriod) {
            self.period = period
        }

        func key(_ hour: Int64) -> Int64 {
            let day = hour >= 0 ? hour / 24 : (hour - 23) / 24
            switch period {
            case .hour: return hour
            case .day: return day
            case .week: return day - (((day + 3) % 7) + 7) % 7
            case .month:
                if cache.day != Int(day) {
                    let date = CivilTime.date(fromDays: Int(day))
                    cache.day = Int(day)
                    cache.month = Int64(date.year * 12 + date.month - 1)
                }
                return cache.month
            case .range: return 0
            }
        }

        func label(_ key: Int64, request: StatisticsRequest) -> String {
            switch period {
            case .hour: return StatisticsReport.periodLabel(of: key, period: .hour, request: request)
            case .day, .week: return LocalDate.format(Int(key))
            case .month:
                let month = Int(key % 12) + 1
                return String(key / 12) + "-" + (month < 10 ? "0" : "") + String(month)
            case .range: return StatisticsReport.periodLabel(of: 0, period: .range, request: request)
            }
        }
    }

    /// The label of the period a local hour falls in: ISO dates, weeks by their Monday.
    public static func periodLabel(of hour: Int64, period: StatisticsPeriod, request: StatisticsRequest) -> String {
        let day = Int(hour >= 0 ? hour / 24 : (hour - 23) / 24)
        switch period {
        case .hour:
            let hourOfDay = Int(hour - Int64(day) * 24)
            return LocalDate.format(day) + "T" + (hourOfDay < 10 ? "0" : "") + "\(hourOfDay):00"
        case .day:
            return LocalDate.format(day)
        case .week:
            // 1970-01-01 was a Thursday: Monday-based weekday = (day + 3) mod 7.
            let weekday = ((day + 3) % 7 + 7) % 7
            return LocalDate.format(day - weekday)
        case .month:
            return String(LocalDate.format(day).prefix(7))
        case .range:
            return LocalDate.format(request.fromDay) + "/" + LocalDate.format(request.toDay)
        }
    }

    /// How many rows a request would have at most (periods in its range), to refuse absurd ones before reading.
    public static func periodCount(of request: StatisticsRequest) -> Int {
        let days = request.toDay - request.fromDay + 1
        switch request.period {
        case .hour: return days * 24
        case .day: return days
        case .week: return days / 7 + 2
        case .month: return days / 28 + 2
        case .range: return 1
        }
    }

    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    public var json: JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let rowKey = request.breakdown?.rawValue ?? "period"
        return .object([
            ("from", .string(LocalDate.format(request.fromDay))), ("to", .string(LocalDate.format(request.toDay))),
            ("period", request.breakdown == nil ? .string(request.period.rawValue) : .null), ("by", optional(request.breakdown?.rawValue)),
            ("queue", optional(request.queue)), ("channel", optional(request.channel)), ("operator", optional(request.operatorName)),
            ("pendingChats", .integer(Int64(pendingChats))),
            ("totals", .object(totals.fields)),
            ("rows", .array(rows.map { .object([(rowKey, .string($0.label))] + $0.figures.fields) })),
            (
                "busiestHours",
                .array(busiestHours.enumerated().map { day, hours in
                    .object([("day", .string(Self.weekdays[day])), ("chats", .array(hours.map { .integer(Int64($0)) }))])
                })
            ),
        ])
    }
}

/// Calendar dates without Foundation: `YYYY-MM-DD` ⇄ days since 1970-01-01.
public enum LocalDate {
    public static func parse(_ text: String) -> Int? {
        CivilTime.parseDate(text).map { Int($0 / 86_400_000) }
    }

    public static func format(_ day: Int) -> String {
        let (year, month, dayOfMonth) = CivilTime.date(fromDays: day)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(year)
        return String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText + "-" + two(month) + "-" + two(dayOfMonth)
    }
}
