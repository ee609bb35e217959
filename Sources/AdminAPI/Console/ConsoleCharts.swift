/// Charts drawn on the server as SVG: no script, no style attribute (the Content-Security-Policy allows neither
/// inline), readable by screen readers through their titles and the tables beside them.
enum ConsoleCharts {
    typealias H = ConsoleHTML

    /// Started and answered chats per period, as paired bars.
    static func bars(_ report: StatisticsReport) -> String {
        let rows = report.rows
        guard !rows.isEmpty else { return "" }
        let height = 180.0
        let slot = max(8.0, min(48.0, 720.0 / Double(rows.count)))
        let width = slot * Double(rows.count) + 40
        let top = Double(max(1, rows.map(\.figures.counts.started).max() ?? 1))
        var bars = ""
        for (index, row) in rows.enumerated() {
            let x = 30 + Double(index) * slot
            let started = Double(row.figures.counts.started) / top * (height - 30)
            let answered = Double(row.figures.counts.answered) / top * (height - 30)
            let label = "\(row.label): \(row.figures.counts.started) started, \(row.figures.counts.answered) answered"
            bars += """
                <g><title>\(H.escape(label))</title>\
                <rect class="started" x="\(format(x))" y="\(format(height - 20 - started))" width="\(format(slot * 0.45))" height="\(format(started))"/>\
                <rect class="answered" x="\(format(x + slot * 0.45))" y="\(format(height - 20 - answered))" width="\(format(slot * 0.45))" height="\(format(answered))"/></g>
                """
        }
        let first = H.escape(rows.first?.label ?? "")
        let last = H.escape(rows.last?.label ?? "")
        return """
            <figure class="chart"><svg role="img" aria-labelledby="bars-title" viewBox="0 0 \(format(width)) \(format(height))" width="100%" height="\(Int(height))" preserveAspectRatio="xMinYMin meet">
            <title id="bars-title">Chats started and answered per \(report.request.period.rawValue), from \(first) to \(last); the table below has the figures</title>
            <line class="axis" x1="28" y1="\(format(height - 20))" x2="\(format(width))" y2="\(format(height - 20))"/>
            <text class="tick" x="0" y="14">\(Int(top))</text><text class="tick" x="0" y="\(format(height - 22))">0</text>
            <text class="tick" x="30" y="\(format(height - 4))">\(first)</text>
            \(rows.count > 1 && width > 240 ? "<text class=\"tick\" x=\"\(format(width))\" y=\"\(format(height - 4))\" text-anchor=\"end\">\(last)</text>" : "")
            \(bars)
            </svg>
            <figcaption><span class="key started"></span> started <span class="key answered"></span> answered</figcaption></figure>
            """
    }

    /// Chats started by weekday and hour: a table whose cells are shaded by an SVG square each.
    static func busiestHours(_ report: StatisticsReport) -> String {
        let peak = max(1, report.busiestHours.flatMap { $0 }.max() ?? 1)
        let header = "<tr><th scope=\"col\">Day</th>" + (0..<24).map { "<th scope=\"col\">\($0 < 10 ? "0" : "")\($0)</th>" }.joined() + "</tr>"
        let rows = report.busiestHours.enumerated().map { day, hours in
            "<tr><th scope=\"row\">\(StatisticsReport.weekdays[day])</th>" + hours.map { count in
                let level = count == 0 ? 0 : 1 + (count * 4 - 1) / peak
                return "<td class=\"heat heat-\(level)\">\(count)</td>"
            }.joined() + "</tr>"
        }.joined(separator: "\n")
        return """
            <div class="scroll" role="region" aria-label="Busiest hours" tabindex="0"><table class="hours">
            <caption>Busiest hours: chats started by weekday and hour, on the queue's clock</caption>
            <thead>\(header)</thead><tbody>\(rows)</tbody></table></div>
            """
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
