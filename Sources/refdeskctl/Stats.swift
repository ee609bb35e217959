import AdminAPI
import ArgumentParser

/// `refdeskctl stats`: the figures a library reports, and the CSV export.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Chats and messages per period, queue, channel or librarian, in each queue's time zone; and the CSV export.",
        subcommands: [Show.self, Export.self],
        defaultSubcommand: Show.self
    )

    /// The selection both subcommands take.
    struct Selection: ParsableArguments {
        @Option(help: "Only this queue.") var queue: String?
        @Option(help: "Only this channel: sms or aim.") var channel: String?
        @Option(name: .customLong("operator"), help: "Only chats this librarian answered first.") var operatorName: String?
        @Option(help: "From this local day (YYYY-MM-DD); by default 29 days before --to.") var from: String?
        @Option(help: "To this local day, inclusive (YYYY-MM-DD); by default today.") var to: String?

        var query: [(String, String)] {
            var query: [(String, String)] = []
            if let queue { query.append(("queue", queue)) }
            if let channel { query.append(("channel", channel)) }
            if let operatorName { query.append(("operator", operatorName)) }
            if let from { query.append(("from", from)) }
            if let to { query.append(("to", to)) }
            return query
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Figures per period (or --by queue, channel or operator), the totals, and chats by weekday and hour."
        )
        @OptionGroup var options: GlobalOptions
        @OptionGroup var selection: Selection
        @Option(help: "hour, day, week, month or range.", completion: .list(["hour", "day", "week", "month", "range"])) var period: String?
        @Option(help: "Rows by queue, channel or operator instead of by period.", completion: .list(["queue", "channel", "operator"])) var by: String?

        func run() throws {
            var query = selection.query
            if let period { query.append(("period", period)) }
            if let by { query.append(("by", by)) }
            try options.run("GET", "\(api)/statistics", query: query, show: Self.show)
        }

        static let columns: [(String, String)] = [
            ("started", "started"), ("answered", "answered"), ("missed", "missed"), ("missedOffline", "offline"),
            ("missedUnanswered", "unanswered"), ("missedAbandoned", "abandoned"), ("waiting", "waiting"), ("transferred", "transferred"),
            ("messagesIn", "msgs in"), ("messagesOut", "msgs out"), ("firstReplyP50", "reply p50 s"), ("firstReplyP90", "reply p90 s"),
            ("durationP50", "length p50 s"), ("durationP90", "length p90 s"), ("optOuts", "opt-outs"), ("deliveryFailures", "failed"),
        ]

        static func show(_ report: JSONValue) {
            let key = report["by"]?.stringValue ?? "period"
            var rows: [[String]] = []
            if case .array(let items)? = report["rows"] {
                rows = items.map { row in [Output.cell(row[key] ?? .null)] + columns.map { Output.cell(row[$0.0] ?? .null) } }
            }
            if let totals = report["totals"] { rows.append(["total"] + columns.map { Output.cell(totals[$0.0] ?? .null) }) }
            Output.table(header: [key] + columns.map(\.1), rows: rows)
            if let pending = report["pendingChats"]?.integerValue, pending > 0 {
                print("(\(pending) chats changed a moment ago are not counted yet)")
            }
            print("")
            print("Chats started by weekday and hour (\(Output.cell(report["from"] ?? .null)) to \(Output.cell(report["to"] ?? .null)), local time:")
            var table: [[String]] = []
            if case .array(let days)? = report["busiestHours"] {
                for day in days {
                    guard case .array(let hours)? = day["chats"] else { continue }
                    table.append([Output.cell(day["day"] ?? .null)] + hours.map { Output.cell($0) })
                }
            }
            Output.table(header: ["day"] + (0..<24).map { $0 < 10 ? "0\($0)" : "\($0)" }, rows: table)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One CSV row per chat on standard output (no message text; patrons masked unless --patrons full, admins only)."
        )
        @OptionGroup var options: GlobalOptions
        @OptionGroup var selection: Selection
        @Option(help: "masked (the default) or full.", completion: .list(["masked", "full"])) var patrons: String?

        func run() throws {
            var query = selection.query
            if let patrons { query.append(("patrons", patrons)) }
            try options.run("GET", "\(api)/statistics/chats.csv", query: query)
        }
    }
}
