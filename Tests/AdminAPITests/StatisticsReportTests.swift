import Testing

@testable import AdminAPI

@Suite("Statistics reports")
struct StatisticsReportTests {
    /// 2024-05-06, a Monday (days since 1970-01-01).
    static let monday = 19_849

    static func counts(started: Int, answered: Int = 0) -> ChatCounts {
        var counts = ChatCounts()
        counts.started = started
        counts.answered = answered
        return counts
    }

    @Test("percentiles are nearest-rank: the smallest value at least p % of the values do not exceed", arguments: [
        ([Int64](), 50, nil), ([1000], 50, 1.0), ([1000], 90, 1.0), ([1000, 2000], 50, 1.0), ([1000, 2000], 90, 2.0),
        ([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000], 90, 9.0), ([1500, 500, 2500], 50, 1.5),
    ] as [([Int64], Int, Double?)])
    func percentiles(values: [Int64], p: Int, expected: Double?) {
        #expect(StatisticsFigures.percentile(p, of: values.sorted()) == expected)
        let (median, ninetieth) = StatisticsFigures.medianAndNinetieth(values)
        #expect((p == 50 ? median : ninetieth) == expected, "selection agrees with sorting")
    }

    @Test("selection finds the same percentiles as sorting on random values with many repeats")
    func selectionAgreesWithSorting() {
        var generator = SystemRandomNumberGenerator()
        for size in [1, 2, 3, 10, 101, 5000] {
            let values = (0..<size).map { _ in Int64.random(in: 0..<50, using: &generator) * 1000 }
            let sorted = values.sorted()
            let (median, ninetieth) = StatisticsFigures.medianAndNinetieth(values)
            #expect(median == StatisticsFigures.percentile(50, of: sorted) && ninetieth == StatisticsFigures.percentile(90, of: sorted), "\(values)")
        }
    }

    @Test("periods are labelled on the wall clock: hours, days, weeks by their Monday, months")
    func labels() {
        let request = StatisticsRequest(fromDay: Self.monday, toDay: Self.monday + 13)
        let thursdayNine = Int64(Self.monday + 3) * 24 + 21
        #expect(StatisticsReport.periodLabel(of: thursdayNine, period: .hour, request: request) == "2024-05-09T21:00")
        #expect(StatisticsReport.periodLabel(of: thursdayNine, period: .day, request: request) == "2024-05-09")
        #expect(StatisticsReport.periodLabel(of: thursdayNine, period: .week, request: request) == "2024-05-06")
        #expect(StatisticsReport.periodLabel(of: Int64(Self.monday + 6) * 24 + 23, period: .week, request: request) == "2024-05-06")
        #expect(StatisticsReport.periodLabel(of: Int64(Self.monday + 7) * 24, period: .week, request: request) == "2024-05-13")
        #expect(StatisticsReport.periodLabel(of: thursdayNine, period: .month, request: request) == "2024-05")
        #expect(StatisticsReport.periodLabel(of: thursdayNine, period: .range, request: request) == "2024-05-06/2024-05-19")
    }

    @Test("rows cover every period of the range, quiet ones as zero; times go to their period; busiest hours by weekday")
    func report() {
        var request = StatisticsRequest(fromDay: Self.monday, toDay: Self.monday + 2)
        request.period = .day
        let tuesdayTen = Int64(Self.monday + 1) * 24 + 10
        let report = StatisticsReport(
            request: request, hourCounts: [(tuesdayTen, Self.counts(started: 3, answered: 2)), (tuesdayTen + 1, Self.counts(started: 1))],
            groupCounts: [],
            times: AnsweredChatTimes(localHours: [tuesdayTen, tuesdayTen], firstReplies: [30_000, -1], durations: [600_000, 60_000]),
            hoursOfWeek: [34: 3, 35: 1], pendingChats: 0
        )
        #expect(report.rows.map(\.label) == ["2024-05-06", "2024-05-07", "2024-05-08"])
        #expect(report.rows.map(\.figures.counts.started) == [0, 4, 0])
        #expect(report.totals.counts.answered == 2)
        #expect(report.totals.firstReplyP90 == 30, "a message left overnight does not count as a wait")
        var monthly = request
        monthly.period = .month
        monthly.toDay = Self.monday + 40
        let months = StatisticsReport(request: monthly, hourCounts: [(tuesdayTen, Self.counts(started: 2))], groupCounts: [], times: AnsweredChatTimes(),
                                      hoursOfWeek: [:], pendingChats: 0)
        #expect(months.rows.map(\.label) == ["2024-05", "2024-06"] && months.rows.map(\.figures.counts.started) == [2, 0])
        #expect(report.totals.durationP90 == 600)
        #expect(report.busiestHours[1][10] == 3 && report.busiestHours[1][11] == 1)
        #expect(report.busiestHours.flatMap { $0 }.reduce(0, +) == 4)
    }

    @Test("a breakdown has one row per group with its own percentiles")
    func breakdown() {
        var request = StatisticsRequest(fromDay: Self.monday, toDay: Self.monday)
        request.breakdown = .operator
        let report = StatisticsReport(
            request: request, hourCounts: [], groupCounts: [("alice", Self.counts(started: 2, answered: 2)), ("bob", Self.counts(started: 1, answered: 1))],
            times: AnsweredChatTimes(localHours: [0, 0], firstReplies: [1000, 9000], durations: [-1, -1]),
            groupTimes: ["alice": AnsweredChatTimes(localHours: [0], firstReplies: [1000], durations: [-1]),
                         "bob": AnsweredChatTimes(localHours: [0], firstReplies: [9000], durations: [-1])],
            hoursOfWeek: [:], pendingChats: 0
        )
        #expect(report.rows.map(\.label) == ["alice", "bob"])
        #expect(report.rows.map(\.figures.firstReplyP50) == [1, 9])
        #expect(report.totals.counts.started == 3)
        guard case .array(let rows)? = report.json["rows"] else {
            Issue.record("rows is not a list")
            return
        }
        #expect(rows.first?["operator"]?.stringValue == "alice")
    }
}

@Suite("The CSV export")
struct ChatExportTests {
    static let chat = ExportedChat(
        id: 7, queue: "ask", channel: "sms", librarian: "alice", patron: "+15551234567", state: "completed", outcome: "answered",
        arrivedOffline: false, firstMessageAt: 1_714_953_600_000, firstMessageLocal: "2024-05-05 19:00", answeredAt: 1_714_953_630_500,
        endedAt: 1_714_954_200_000, waitMilliseconds: 30_500, durationMilliseconds: 569_500, messagesIn: 3, messagesOut: 2, transfers: 0,
        optedOut: false, deliveryFailures: 0
    )

    @Test("one line per chat, columns in the header's order, masked patron, times in UTC and seconds to the millisecond")
    func line() {
        #expect(ChatExportCSV.header.hasPrefix("chat_id,queue,channel,librarian,patron,state,outcome,"))
        #expect(ChatExportCSV.line(Self.chat, fullPatrons: false)
            == "7,ask,sms,alice,'+1555xxx4567,completed,answered,0,2024-05-06T00:00:00Z,2024-05-05 19:00,2024-05-06T00:00:30Z,"
            + "2024-05-06T00:10:00Z,30.500,569.500,3,2,0,0,0\r\n")
        #expect(ChatExportCSV.line(Self.chat, fullPatrons: true).contains(",'+15551234567,"))
    }

    @Test("fields are quoted as RFC 4180 asks, and never start like a spreadsheet formula", arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("=SUM(A1)", "'=SUM(A1)"), ("@x", "'@x"),
        ("-1", "'-1"), ("two\nlines", "\"two\nlines\""),
    ])
    func quoting(field: String, expected: String) {
        #expect(ChatExportCSV.quoted(field) == expected)
    }

    @Test("patrons are masked: phone numbers keep country, area and last four; screen names their ends", arguments: [
        ("+15551234567", "+1555xxx4567"), ("+442071234567", "+4420xxxx4567"), ("+1234", "+xxxx"), ("patronaim", "pxxxxxxxm"), ("ab", "xx"),
    ])
    func masking(address: String, masked: String) {
        #expect(PatronMask.masked(address) == masked)
    }
}

@Suite("The console's pages")
struct ConsolePageTests {
    @Test("text from outside is escaped: a patron's line cannot become markup")
    func escaping() {
        let status = DeskStatus(queues: [], gateways: [], outbox: [:], xmppConnected: true)
        let view = DeskView(
            status: status, librarians: [],
            waiting: [.init(id: 3, queue: "ask", channel: "sms", patron: "+15551234567", since: 0, lastLine: "<script>alert(1)</script> & \"x\"")],
            at: 60_000
        )
        let html = ConsolePages.desk(view)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        #expect(html.contains("+1555xxx4567") && !html.contains("+15551234567"))
        #expect(html.contains("1 min"))
    }

    @Test("console paths resolve to pages; others are not the console's", arguments: [
        (["console"], ConsoleRoute?.some(.desk)), (["console", "queues", "ask"], .queue(name: "ask")), (["console", "chats", "12"], .chat(id: 12)),
        (["console", "chats", "x"], nil), (["console", "nothing"], nil),
    ] as [([String], ConsoleRoute?)])
    func routes(segments: [String], expected: ConsoleRoute?) {
        #expect(ConsoleRoute.resolve(segments) == .some(expected))
        #expect(ConsoleRoute.resolve(["2011-12-03", "queues"]) == nil)
    }

    @Test("a change from another site is refused; one from the console, or from a client that names no origin, is not")
    func crossSite() {
        func request(_ headers: [(String, String)]) -> AdminRequest {
            AdminRequest(method: "POST", target: "/2011-12-03/queues", headers: [("Host", "desk.example.org:8443")] + headers)
        }
        #expect(AdminService.isCrossSite(request([("Origin", "https://evil.example")]), method: "POST"))
        #expect(AdminService.isCrossSite(request([("Sec-Fetch-Site", "cross-site")]), method: "DELETE"))
        #expect(!AdminService.isCrossSite(request([("Origin", "https://desk.example.org:8443")]), method: "PUT"))
        #expect(!AdminService.isCrossSite(request([]), method: "POST"))
        #expect(!AdminService.isCrossSite(request([("Origin", "https://evil.example")]), method: "GET"))
    }
}
