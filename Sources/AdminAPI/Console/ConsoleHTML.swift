/// HTML building for the console: every text that came from outside (names, patrons' addresses, transcripts) goes
/// through ``ConsoleHTML/escape(_:)``; the page's markup is fixed in these files.
enum ConsoleHTML {
    static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
        return output
    }

    /// A path segment or query value in a link.
    static func url(_ text: String) -> String { FormDecoding.percentEncode(text) }

    /// The pages in the navigation, in order: (route, path, label).
    static let navigation: [(ConsoleRoute, String, String)] = [
        (.desk, "/console", "Desk"), (.queues, "/console/queues", "Queues"), (.gateways, "/console/gateways", "Gateways"),
        (.staff, "/console/staff", "Staff"), (.chats, "/console/chats", "Chats"), (.statistics, "/console/statistics", "Statistics"),
    ]

    /// A whole page. `current` marks the navigation entry; `user` is nil on the sign-in page.
    static func page(title: String, current: ConsoleRoute?, user: AdminAccount?, body: String) -> String {
        var nav = ""
        if let user {
            let links = navigation.map { route, path, label in
                let isCurrent = route == current || (current.map { sameSection($0, route) } ?? false)
                return "<li><a href=\"\(path)\"\(isCurrent ? " aria-current=\"page\"" : "")>\(label)</a></li>"
            }.joined()
            nav = """
                <nav aria-label="Console"><ul>\(links)</ul></nav>
                <form class="signout" data-api="/2011-12-03/auth/logout" data-method="POST" data-then="/console/login">
                <span>\(escape(user.name)) (\(user.role.rawValue))</span> <button type="submit">Sign out</button></form>
                """
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · refdesk</title>
            <link rel="icon" href="/console/icon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/console/console.css">
            <script src="/console/console.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header><p class="brand">refdesk</p>\(nav)</header>
            <main id="main" tabindex="-1">
            <h1>\(escape(title))</h1>
            <p id="status" role="status" aria-live="polite"></p>
            \(body)
            </main>
            </body>
            </html>
            """
    }

    private static func sameSection(_ page: ConsoleRoute, _ entry: ConsoleRoute) -> Bool {
        switch (page, entry) {
        case (.queue, .queues), (.chat, .chats): true
        default: false
        }
    }

    /// A table in a scrollable region (narrow screens scroll the table, not the page).
    static func table(caption: String, header: [String], rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(escape(empty))</p>" }
        let head = header.map { "<th scope=\"col\">\($0)</th>" }.joined()
        let body = rows.map { row in
            "<tr>" + row.enumerated().map { index, cell in index == 0 ? "<th scope=\"row\">\(cell)</th>" : "<td>\(cell)</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        return """
            <div class="scroll" role="region" aria-label="\(escape(caption))" tabindex="0">
            <table><caption>\(escape(caption))</caption><thead><tr>\(head)</tr></thead><tbody>
            \(body)
            </tbody></table></div>
            """
    }

    /// A form the script sends to the admin API (`method` `POST`, `PUT` or `DELETE`); `then` is where to go after
    /// success (`reload` for the same page).
    static func apiForm(_ action: String, method: String, then: String = "reload", label: String, fields: String, button: String, confirm: String? = nil) -> String {
        let confirmation = confirm.map { " data-confirm=\"\(escape($0))\"" } ?? ""
        return """
            <form class="api" data-api="\(escape(action))" data-method="\(method)" data-then="\(escape(then))"\(confirmation) aria-label="\(escape(label))">
            \(fields)<button type="submit">\(escape(button))</button>
            </form>
            """
    }

    /// A labelled input; `scope` tells apart fields of the same name in several forms on one page.
    static func input(
        _ name: String, label: String, value: String = "", type: String = "text", required: Bool = false, hint: String? = nil, scope: String = ""
    ) -> String {
        let id = identifier(name, scope)
        let hintID = "\(id)-hint"
        let hintText = hint.map { "<small id=\"\(hintID)\">\(escape($0))</small>" } ?? ""
        return """
            <div class="field"><label for="\(id)">\(escape(label))</label>\
            <input id="\(id)" name="\(name)" type="\(type)" value="\(escape(value))"\(required ? " required" : "")\(hint == nil ? "" : " aria-describedby=\"\(hintID)\"")>\(hintText)</div>
            """
    }

    static func select(_ name: String, label: String, options: [(String, String)], selected: String?, scope: String = "") -> String {
        let id = identifier(name, scope)
        let items = options.map { value, text in
            "<option value=\"\(escape(value))\"\(value == selected ? " selected" : "")>\(escape(text))</option>"
        }.joined()
        return "<div class=\"field\"><label for=\"\(id)\">\(escape(label))</label><select id=\"\(id)\" name=\"\(name)\">\(items)</select></div>"
    }

    /// An element id from a field name and a scope, using only characters ids and selectors take without escaping.
    static func identifier(_ name: String, _ scope: String) -> String {
        let raw = "f-" + name + (scope.isEmpty ? "" : "-" + scope)
        return String(raw.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    /// `3 min`, `2 h 5 min`, `40 s`.
    static func duration(milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds < 60 { return "\(seconds) s" }
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes) min" }
        return "\(minutes / 60) h \(minutes % 60) min"
    }

    /// `2024-05-06 14:03 UTC`.
    static func time(_ milliseconds: Int64) -> String {
        let iso = CivilTime.iso8601(milliseconds)
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value < 60 ? "\(Int(value.rounded())) s" : duration(milliseconds: Int64(value * 1000))
    }
}
