import Logging

/// What the statistics, the CSV export and transcripts need from the router.
public protocol StatisticsBackend: Sendable {
    /// Figures for the request; chats changed a moment ago are counted first.
    func statistics(_ request: StatisticsRequest) async throws -> StatisticsReport
    /// Up to `limit` chats of the request after chat `after`, in id order.
    func exportChats(_ request: StatisticsRequest, after: Int64, limit: Int) async throws -> [ExportedChat]
    /// One chat with its lines; 404 for an unknown id.
    func chatTranscript(_ id: Int64) async throws -> ChatTranscript
    /// Today's date in the library's time zone (days since 1970-01-01), for default ranges.
    func today() async -> Int
}

/// A chat and its lines, oldest first.
public struct ChatTranscript: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        /// `in` (from the patron), `out` (a librarian's reply) or `note`.
        public var direction: String
        public var sender: String
        /// `nil` where the queue keeps no transcripts.
        public var text: String?
        public var at: Int64

        public init(direction: String, sender: String, text: String?, at: Int64) {
            self.direction = direction
            self.sender = sender
            self.text = text
            self.at = at
        }
    }

    public var chat: ChatInfo
    public var keepsTranscripts: Bool
    public var lines: [Line]

    public init(chat: ChatInfo, keepsTranscripts: Bool, lines: [Line]) {
        self.chat = chat
        self.keepsTranscripts = keepsTranscripts
        self.lines = lines
    }

    var json: JSONValue {
        guard case .object(var members) = chat.json else { return chat.json }
        members.append(("keepsTranscripts", .bool(keepsTranscripts)))
        members.append((
            "lines",
            .array(lines.map { line in
                .object([
                    ("direction", .string(line.direction)), ("sender", .string(line.sender)),
                    ("text", line.text.map(JSONValue.string) ?? .null), ("at", .string(CivilTime.iso8601(line.at))),
                ])
            })
        ))
        return .object(members)
    }
}

extension AdminService {
    /// The request's fields as a statistics request: `queue`, `channel`, `operator`, `from`/`to` (local dates, `to`
    /// inclusive; by default the 30 days up to today), `period` and `by`.
    func statisticsRequest(_ fields: RequestFields) async throws -> StatisticsRequest {
        let today = await statistics.today()
        func date(_ name: String) throws -> Int? {
            guard let text = try fields.optional(name) else { return nil }
            guard let day = LocalDate.parse(text) else { throw RequestFields.Invalid(message: "Field \(name) must be a date YYYY-MM-DD, got \"\(text)\"") }
            return day
        }
        let to = try date("to") ?? today
        let from = try date("from") ?? (to - 29)
        guard from <= to else { throw RequestFields.Invalid(message: "Field from (\(LocalDate.format(from))) is after to (\(LocalDate.format(to)))") }
        var request = StatisticsRequest(fromDay: from, toDay: to)
        request.queue = try fields.optional("queue").flatMap { $0.isEmpty ? nil : $0 }
        if let channel = try fields.optional("channel")?.lowercased(), !channel.isEmpty {
            request.channel = channel == "twilio" ? "sms" : channel
        }
        request.operatorName = try fields.optional("operator").flatMap { $0.isEmpty ? nil : $0 }
        if let period = try fields.optional("period") {
            guard let parsed = StatisticsPeriod(rawValue: period.lowercased()) else {
                throw RequestFields.Invalid(message: "Field period must be hour, day, week, month or range, got \"\(period)\"")
            }
            request.period = parsed
        }
        if let breakdown = try fields.optional("by") {
            guard let parsed = StatisticsBreakdown(rawValue: breakdown.lowercased()) else {
                throw RequestFields.Invalid(message: "Field by must be queue, channel or operator, got \"\(breakdown)\"")
            }
            request.breakdown = parsed
        }
        let rows = StatisticsReport.periodCount(of: request)
        if request.breakdown == nil, rows > StatisticsRequest.maximumRows {
            throw RequestFields.Invalid(
                message: "From \(LocalDate.format(from)) to \(LocalDate.format(to)) by \(request.period.rawValue) is \(rows) rows; "
                    + "at most \(StatisticsRequest.maximumRows): choose a longer period or a shorter range"
            )
        }
        return request
    }

    /// The CSV export, streamed a page of chats at a time so a year of a busy desk never sits in memory whole.
    func exportResponse(fields: RequestFields, caller: AdminAccount?) async throws -> AdminResponse {
        let request = try await statisticsRequest(fields)
        let patrons = try fields.optional("patrons")?.lowercased() ?? "masked"
        guard patrons == "masked" || patrons == "full" else {
            throw RequestFields.Invalid(message: "Field patrons must be masked or full, got \"\(patrons)\"")
        }
        let full = patrons == "full"
        if full, caller?.role != .admin {
            throw AdminError(status: 403, "Only admins can export patrons' full numbers and screen names")
        }
        logger.info("chats exported", metadata: ["by": "\(caller?.name ?? "")", "patrons": "\(patrons)"])
        let backend = statistics
        let name = "refdesk-chats-\(LocalDate.format(request.fromDay))-to-\(LocalDate.format(request.toDay)).csv"
        return AdminResponse(
            status: 200,
            headers: [("Content-Type", "text/csv; charset=utf-8; header=present"), ("Content-Disposition", "attachment; filename=\"\(name)\"")],
            stream: AdminStream { write in
                try await write(Array(ChatExportCSV.header.utf8))
                var after: Int64 = 0
                while true {
                    let page = try await backend.exportChats(request, after: after, limit: 2000)
                    guard let last = page.last else { break }
                    var text = ""
                    for chat in page { text += ChatExportCSV.line(chat, fullPatrons: full) }
                    try await write(Array(text.utf8))
                    after = last.id
                }
            }
        )
    }
}
