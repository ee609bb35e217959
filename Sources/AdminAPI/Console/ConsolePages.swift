/// The console's pages as HTML, from what the backends return. Pure functions: tests can render them with made-up data.
enum ConsolePages {
    typealias H = ConsoleHTML

    /// The sign-in form; `then` is where to go once signed in (`reload`: the page that asked for it).
    static func login(then: String) -> String {
        let form = """
            <form class="api login" data-api="/2011-12-03/auth/login" data-method="POST" data-then="\(H.escape(then))" data-said="Signed in." aria-label="Sign in">
            \(H.input("username", label: "User name", required: true))
            \(H.input("password", label: "Password", type: "password", required: true))
            <button type="submit">Sign in</button>
            </form>
            <noscript><p>The console needs JavaScript from this site to sign in and to save changes.</p></noscript>
            """
        return H.page(title: "Sign in", current: nil, user: nil, body: form)
    }

    // MARK: Desk

    /// The desk section alone: the page holds it and the live updates replace it.
    static func desk(_ view: DeskView) -> String {
        let queues = view.status.queues.map { queue in
            [
                "<a href=\"/console/queues/\(H.url(queue.name))\">\(H.escape(queue.name))</a>",
                queue.online ? "<span class=\"ok\">online</span>" : "<span class=\"off\">offline</span>",
                queue.staffedBy.isEmpty ? "nobody" : H.escape(queue.staffedBy.joined(separator: ", ")),
                "\(queue.waitingChats)", "\(queue.offlineMessages)",
            ]
        }
        let librarians = view.librarians.map { librarian in
            [
                H.escape(librarian.name),
                librarian.autoLoggedOut ? "auto-logged-out" : Self.showText(librarian.show),
                "\(librarian.openChats)", H.escape(librarian.queues.joined(separator: ", ")),
            ]
        }
        let waiting = view.waiting.sorted { $0.since < $1.since }.map { chat in
            [
                "<a href=\"/console/chats/\(chat.id)\">\(chat.id)</a>", H.escape(chat.queue), H.escape(chat.channel),
                H.escape(PatronMask.masked(chat.patron)), H.duration(milliseconds: view.at - chat.since),
                chat.lastLine.map { "<q>\(H.escape($0))</q>" } ?? "<span class=\"muted\">text not kept</span>",
            ]
        }
        let outbox = view.status.outbox.isEmpty ? "empty" : view.status.outbox.sorted { $0.key < $1.key }.map { "\(H.escape($0.key)): \($0.value)" }.joined(separator: ", ")
        let xmpp: String
        switch view.status.xmppConnected {
        case true?: xmpp = "<span class=\"ok\">connected</span>"
        case false?: xmpp = "<span class=\"off\">not connected</span>"
        case nil: xmpp = "not configured"
        }
        return """
            \(H.table(caption: "Waiting for a first reply", header: ["Chat", "Queue", "Channel", "Patron", "Waiting", "Latest message"], rows: waiting, empty: "No chat is waiting."))
            \(H.table(caption: "Queues", header: ["Queue", "State", "Staffed by", "Waiting chats", "Offline messages"], rows: queues, empty: "No queues yet."))
            \(H.table(caption: "Librarians", header: ["Librarian", "Status", "Open chats", "Queues"], rows: librarians, empty: "No librarians yet."))
            \(gatewayTable(view.status.gateways, caption: "Gateways"))
            <p>Replies waiting for a bridge: \(outbox). XMPP server: \(xmpp). <span class="muted">Updated \(H.time(view.at)).</span></p>
            """
    }

    static func deskPage(_ view: DeskView, user: AdminAccount) -> String {
        H.page(title: "The desk now", current: .desk, user: user, body: "<section id=\"desk\" data-live=\"/console/events\" aria-live=\"off\">\(desk(view))</section>")
    }

    static func showText(_ show: String?) -> String {
        switch show {
        case nil: "signed off"
        case "available"?: "available"
        case "chat"?: "free for chat"
        case "away"?: "away"
        case "xa"?: "extended away"
        case "dnd"?: "busy"
        case let other?: H.escape(other)
        }
    }

    static func gatewayTable(_ gateways: [GatewayStatusInfo], caption: String) -> String {
        let rows = gateways.map { status in
            [
                "\(status.gateway.id)", "<a href=\"/console/queues/\(H.url(status.gateway.queue))\">\(H.escape(status.gateway.queue))</a>",
                H.escape(status.gateway.protocolName), H.escape(status.gateway.username),
                "<span class=\"state-\(H.escape(status.state))\">\(H.escape(status.state))</span>", H.escape(status.reason), H.time(status.since),
            ]
        }
        return H.table(caption: caption, header: ["Id", "Queue", "Protocol", "Account", "State", "Why", "Since"], rows: rows, empty: "No gateways yet.")
    }

    // MARK: Queues

    static func queues(_ queues: [QueueInfo], user: AdminAccount) -> String {
        let rows = queues.map { queue in
            [
                "<a href=\"/console/queues/\(H.url(queue.name))\">\(H.escape(queue.name))</a>", queue.online ? "online" : "offline",
                H.escape(queue.openingHours ?? "always"), H.escape(queue.timeZone ?? "library's"), queue.routing.rawValue,
                queue.keepsTranscripts ? "yes" : "no",
            ]
        }
        var body = H.table(caption: "Queues", header: ["Queue", "State", "Opening hours", "Time zone", "Routing", "Transcripts"], rows: rows, empty: "No queues yet.")
        if user.role == .admin {
            body += "<h2>New queue</h2>" + H.apiForm(
                "/2011-12-03/queues", method: "POST", label: "New queue",
                fields: H.input("name", label: "Name", required: true, hint: "Letters, digits, '.', '_' and '-'.")
                    + H.input("offlineReply", label: "Offline reply", hint: "{next_open} names the next opening time."),
                button: "Create queue"
            )
        }
        return H.page(title: "Queues", current: .queues, user: user, body: body)
    }

    static func queue(_ queue: QueueInfo, gateways: [GatewayStatusInfo], assigned: [String], users: [UserInfo], user: AdminAccount) -> String {
        let path = "/2011-12-03/queues/\(H.url(queue.name))"
        var body = """
            <dl class="facts"><dt>State</dt><dd>\(queue.online ? "online" : "offline")</dd>
            <dt>Opening hours</dt><dd>\(H.escape(queue.openingHours ?? "always open"))</dd>
            <dt>Time zone</dt><dd>\(H.escape(queue.timeZone ?? "the library's"))</dd>
            <dt>Librarians</dt><dd>\(assigned.isEmpty ? "none" : H.escape(assigned.joined(separator: ", ")))</dd></dl>
            """
        body += gatewayTable(gateways, caption: "Gateways of \(queue.name)")
        guard user.role == .admin else {
            return H.page(title: "Queue \(queue.name)", current: .queue(name: queue.name), user: user, body: body)
        }
        body += "<h2>Settings</h2>" + H.apiForm(
            path, method: "PUT", label: "Settings of \(queue.name)",
            fields: H.input("openingHours", label: "Opening hours", value: queue.openingHours ?? "",
                            hint: "For example Mon-Fri 09:00-17:00, Sat 10:00-14:00; empty for always open.")
                + H.input("timeZone", label: "Time zone", value: queue.timeZone ?? "", hint: "An IANA name such as America/Chicago.")
                + H.input("offlineReply", label: "Offline reply", value: queue.offlineReply)
                + H.select("routing", label: "Routing", options: [("ring-all", "ring all"), ("least-busy", "least busy")], selected: queue.routing.rawValue)
                + H.input("chatLimit", label: "Chats per librarian (least busy)", value: "\(queue.chatLimit)", type: "number")
                + H.select("keepsTranscripts", label: "Keep transcripts", options: [("true", "yes"), ("false", "no")],
                           selected: queue.keepsTranscripts ? "true" : "false"),
            button: "Save settings"
        )
        body += "<h2>Add a gateway</h2>" + H.apiForm(
            "\(path)/gateways", method: "POST", label: "Add a gateway to \(queue.name)",
            fields: H.select("protocol", label: "Protocol", options: [("twilio", "SMS (Twilio)"), ("aim", "AIM")], selected: "twilio", scope: "add")
                + H.input("username", label: "Number or screen name", required: true, scope: "add")
                + H.input("password", label: "Password or auth token", type: "password", scope: "add"),
            button: "Add gateway"
        )
        for status in gateways {
            let gateway = "\(path)/gateways/\(status.gateway.id)"
            body += "<h3>Gateway \(status.gateway.id): \(H.escape(status.gateway.username))</h3><div class=\"row\">"
            body += H.apiForm(
                gateway, method: "PUT", label: "New password for gateway \(status.gateway.id)",
                fields: H.input("password", label: "New password or token", type: "password", required: true, scope: "\(status.gateway.id)"),
                button: "Change password"
            )
            body += H.apiForm(gateway, method: "DELETE", label: "Remove gateway \(status.gateway.id)", fields: "", button: "Remove gateway",
                              confirm: "Remove gateway \(status.gateway.username)? Its open chats end.")
            body += "</div>"
        }
        let unassigned = users.map(\.name).filter { !assigned.contains($0) }
        body += "<h2>Librarians of \(H.escape(queue.name))</h2>"
        if !unassigned.isEmpty {
            body += H.apiForm(
                "\(path)/operators", method: "POST", label: "Assign a librarian",
                fields: H.select("operator", label: "Librarian", options: unassigned.map { ($0, $0) }, selected: nil), button: "Assign"
            )
        }
        for name in assigned {
            body += H.apiForm("\(path)/operators/\(H.url(name))", method: "DELETE", label: "Unassign \(name)", fields: "<span>\(H.escape(name))</span> ",
                              button: "Unassign \(name)")
        }
        body += "<h2>Delete</h2>" + H.apiForm(path, method: "DELETE", then: "/console/queues", label: "Delete queue \(queue.name)", fields: "",
                                              button: "Delete queue", confirm: "Delete queue \(queue.name)? Its history stays.")
        return H.page(title: "Queue \(queue.name)", current: .queue(name: queue.name), user: user, body: body)
    }

    static func gateways(_ gateways: [GatewayStatusInfo], user: AdminAccount) -> String {
        H.page(title: "Gateways", current: .gateways, user: user,
               body: gatewayTable(gateways, caption: "Every gateway with its state") + "<p>Add and remove gateways on each queue's page.</p>")
    }

    // MARK: Staff

    static func staff(_ users: [UserInfo], user: AdminAccount) -> String {
        let rows = users.map { info in
            [H.escape(info.name), info.role.rawValue, info.hasPassword ? "yes" : "no", H.escape(info.staffingJIDs.joined(separator: ", ")),
             H.escape(info.queues.joined(separator: ", "))]
        }
        var body = H.table(caption: "Users", header: ["Name", "Role", "Signs in here", "Staffing accounts", "Queues"], rows: rows, empty: "No users yet.")
        guard user.role == .admin else { return H.page(title: "Staff", current: .staff, user: user, body: body) }
        body += "<h2>New user</h2>" + H.apiForm(
            "/2011-12-03/users", method: "POST", label: "New user",
            fields: H.input("name", label: "Name", required: true, scope: "new")
                + H.select("role", label: "Role", options: [("operator", "librarian (operator)"), ("admin", "admin")], selected: "operator")
                + H.input("password", label: "Password for the console (optional)", type: "password", hint: "At least 10 characters.", scope: "new"),
            button: "Create user"
        )
        for info in users {
            body += "<h2>\(H.escape(info.name))</h2><div class=\"row\">"
            body += H.apiForm(
                "/2011-12-03/users/\(H.url(info.name))/staffing", method: "POST", label: "Add a staffing account for \(info.name)",
                fields: H.input("jid", label: "XMPP account", required: true, hint: "A bare JID, e.g. alice@example.org.", scope: info.name),
                button: "Add account"
            )
            for jid in info.staffingJIDs {
                body += H.apiForm("/2011-12-03/users/\(H.url(info.name))/staffing/\(H.url(jid))", method: "DELETE",
                                  label: "Remove \(jid)", fields: "<span>\(H.escape(jid))</span> ", button: "Remove \(jid)")
            }
            if info.name != user.name {
                body += H.apiForm("/2011-12-03/users/\(H.url(info.name))", method: "DELETE", label: "Delete user \(info.name)", fields: "",
                                  button: "Delete \(info.name)", confirm: "Delete user \(info.name)?")
            }
            body += "</div>"
        }
        return H.page(title: "Staff", current: .staff, user: user, body: body)
    }

    // MARK: Chats

    static func chats(_ chats: [ChatInfo], text: String, queue: String, user: AdminAccount) -> String {
        let search = """
            <form class="filters" method="get" action="/console/chats" role="search" aria-label="Search chats">
            \(H.input("text", label: "Patron, librarian or words", value: text))\(H.input("queue", label: "Queue", value: queue))
            <button type="submit">Search</button></form>
            """
        let rows = chats.map { chat in
            [
                "<a href=\"/console/chats/\(chat.id)\">\(chat.id)</a>", H.escape(chat.queue), H.escape(PatronMask.masked(chat.patron)), chat.state,
                H.escape(chat.operatorName ?? "–"), H.time(chat.startedAt), chat.duration.map { H.duration(milliseconds: $0 * 1000) } ?? "–",
            ]
        }
        let table = H.table(caption: "Chats, newest first", header: ["Chat", "Queue", "Patron", "State", "Librarian", "Started", "Length"], rows: rows,
                            empty: "No chat matches.")
        return H.page(title: "Chats", current: .chats, user: user, body: search + table)
    }

    static func chat(_ transcript: ChatTranscript, user: AdminAccount) -> String {
        let chat = transcript.chat
        var body = """
            <dl class="facts"><dt>Queue</dt><dd>\(H.escape(chat.queue))</dd><dt>Channel</dt><dd>\(H.escape(chat.protocolName ?? "–"))</dd>
            <dt>Patron</dt><dd>\(H.escape(PatronMask.masked(chat.patron)))</dd><dt>State</dt><dd>\(chat.state)</dd>
            <dt>Librarian</dt><dd>\(H.escape(chat.operatorName ?? "–"))</dd><dt>Started</dt><dd>\(H.time(chat.startedAt))</dd>
            <dt>Answered</dt><dd>\(chat.answeredAt.map(H.time) ?? "–")</dd><dt>Ended</dt><dd>\(chat.endedAt.map(H.time) ?? "–")</dd></dl>
            """
        if !transcript.keepsTranscripts { body += "<p>Queue \(H.escape(chat.queue)) keeps no transcripts: only who wrote when.</p>" }
        let lines = transcript.lines.map { line in
            let who = line.direction == "in" ? "Patron" : H.escape(line.sender)
            let text = line.text.map { H.escape($0).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "<br>") }
                ?? "<span class=\"muted\">text not kept</span>"
            return "<li class=\"line-\(line.direction)\"><p class=\"meta\">\(who), \(H.time(line.at))</p><p>\(text)</p></li>"
        }.joined(separator: "\n")
        body += lines.isEmpty ? "<p class=\"empty\">No lines.</p>" : "<h2>Transcript</h2><ol class=\"transcript\">\(lines)</ol>"
        return H.page(title: "Chat \(chat.id)", current: .chat(id: chat.id), user: user, body: body)
    }

    // MARK: Statistics

    static func statistics(_ report: StatisticsReport, queues: [String], user: AdminAccount) -> String {
        let request = report.request
        let periods = StatisticsPeriod.allCases.map { ($0.rawValue, $0.rawValue) }
        let filters = """
            <form class="filters" method="get" action="/console/statistics" aria-label="Which statistics">
            \(H.select("queue", label: "Queue", options: [("", "all queues")] + queues.map { ($0, $0) }, selected: request.queue ?? ""))
            \(H.select("channel", label: "Channel", options: [("", "all channels"), ("sms", "SMS"), ("aim", "AIM")], selected: request.channel ?? ""))
            \(H.input("from", label: "From", value: LocalDate.format(request.fromDay), type: "date"))
            \(H.input("to", label: "To", value: LocalDate.format(request.toDay), type: "date"))
            \(H.select("period", label: "Per", options: periods, selected: request.period.rawValue))
            <button type="submit">Show</button></form>
            """
        var query = "from=\(LocalDate.format(request.fromDay))&to=\(LocalDate.format(request.toDay))"
        if let queue = request.queue { query += "&queue=\(H.url(queue))" }
        if let channel = request.channel { query += "&channel=\(H.url(channel))" }
        let export = "<p><a class=\"button\" href=\"/2011-12-03/statistics/chats.csv?\(H.escape(query))\" download>Export these chats as CSV</a> "
            + "<span class=\"muted\">(one row per chat, patrons masked)</span></p>"
        let headers = ["Started", "Answered", "Missed", "offline", "unanswered", "abandoned", "Transferred", "In", "Out",
                       "Reply p50", "Reply p90", "Length p50", "Length p90", "Opt-outs", "Failed"]
        func cells(_ figures: StatisticsFigures) -> [String] {
            let c = figures.counts
            return ["\(c.started)", "\(c.answered)", "\(c.missed)", "\(c.missedOffline)", "\(c.missedUnanswered)", "\(c.missedAbandoned)",
                    "\(c.transferred)", "\(c.messagesIn)", "\(c.messagesOut)", H.seconds(figures.firstReplyP50), H.seconds(figures.firstReplyP90),
                    H.seconds(figures.durationP50), H.seconds(figures.durationP90), "\(c.optOuts)", "\(c.deliveryFailures)"]
        }
        let rows = report.rows.map { [H.escape($0.label)] + cells($0.figures) } + [["Total"] + cells(report.totals)]
        let table = H.table(caption: "Chats per \(request.period.rawValue)", header: ["Period"] + headers, rows: rows, empty: "")
        let body = filters + export + ConsoleCharts.bars(report) + table + ConsoleCharts.busiestHours(report)
            + (report.pendingChats > 0 ? "<p class=\"muted\">\(report.pendingChats) chats changed a moment ago are not counted yet.</p>" : "")
        return H.page(title: "Statistics", current: .statistics, user: user, body: body)
    }
}
