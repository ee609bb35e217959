import Logging

/// The web console: HTML pages on the admin listener, signed in with the same session cookie as the API.
extension AdminService {
    /// A change sent from another site's page (the browser names it in `Origin`, or says `Sec-Fetch-Site: cross-site`)
    /// is refused: with the session cookie's `SameSite=Strict` this keeps cross-site request forgery out of the API.
    /// Clients that are not browsers (refdeskctl, curl) send neither header.
    static func isCrossSite(_ request: AdminRequest, method: String) -> Bool {
        guard !["GET", "HEAD", "OPTIONS"].contains(method) else { return false }
        if request.header("sec-fetch-site") == "cross-site" { return true }
        guard let origin = request.header("origin") else { return false }
        guard let host = request.header("host") else { return true }
        return origin != (request.isSecure ? "https://" : "http://") + host
    }

    /// Pages may load scripts, styles and images from this router only, talk only to it, submit forms only to it,
    /// never be framed; nothing inline runs.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    static func html(_ text: String, status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, headers: consoleHeaders(type: "text/html; charset=utf-8"), body: Array(text.utf8))
    }

    static func consoleHeaders(type: String) -> [(String, String)] {
        [
            ("Content-Type", type), ("Content-Security-Policy", contentSecurityPolicy), ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Opener-Policy", "same-origin"),
        ]
    }

    static func redirect(_ location: String) -> AdminResponse {
        AdminResponse(status: 303, headers: consoleHeaders(type: "text/plain; charset=utf-8") + [("Location", location)], body: Array("See \(location)\n".utf8))
    }

    static func errorPage(_ status: Int, _ message: String, user: AdminAccount?) -> AdminResponse {
        html(ConsoleHTML.page(title: status == 404 ? "Not found" : "Refused", current: nil, user: user, body: "<p>\(ConsoleHTML.escape(message))</p>"), status: status)
    }

    func handleConsole(_ resolved: ConsoleRoute?, request: AdminRequest, method: String) async -> AdminResponse {
        guard method == "GET" || method == "HEAD" else {
            var response = Self.errorPage(405, "\(method) is not supported here; the console's pages are read with GET", user: nil)
            response.headers.append(("Allow", "GET"))
            return response
        }
        guard let route = resolved else { return Self.errorPage(404, "No such page: \(request.path)", user: nil) }
        switch route {
        case .stylesheet:
            return AdminResponse(status: 200, headers: Self.consoleHeaders(type: "text/css; charset=utf-8"), body: Array(ConsoleAssets.stylesheet.utf8))
        case .script:
            return AdminResponse(status: 200, headers: Self.consoleHeaders(type: "text/javascript; charset=utf-8"), body: Array(ConsoleAssets.script.utf8))
        case .icon:
            return AdminResponse(status: 200, headers: Self.consoleHeaders(type: "image/svg+xml"), body: Array(ConsoleAssets.icon.utf8))
        default:
            break
        }
        var account: AdminAccount?
        if let token = request.cookie(SessionCookie.name), let name = await auth.user(for: token, at: now()) {
            account = try? await backend.account(named: name)
        }
        if route == .login { return account == nil ? Self.html(ConsolePages.login(then: "/console")) : Self.redirect("/console") }
        // Not signed in: the page answers 401 with the sign-in form, which brings the visitor back to it.
        guard let user = account else { return Self.html(ConsolePages.login(then: "reload"), status: 401) }
        do {
            let fields = try RequestFields(request: request)
            return try await consolePage(route, fields: fields, request: request, user: user)
        } catch let invalid as RequestFields.Invalid {
            return Self.errorPage(invalid.status, invalid.message, user: user)
        } catch let refusal as AdminError {
            return Self.errorPage(refusal.status, refusal.message, user: user)
        } catch {
            logger.error("console page failed", metadata: ["page": "\(route)", "error": "\(error)"])
            return Self.errorPage(500, "Internal error; the router's log has the details", user: user)
        }
    }

    private func consolePage(_ route: ConsoleRoute, fields: RequestFields, request: AdminRequest, user: AdminAccount) async throws -> AdminResponse {
        switch route {
        case .desk:
            return Self.html(ConsolePages.deskPage(try await desk(), user: user))
        case .queues:
            return Self.html(ConsolePages.queues(try await backend.queues(), user: user))
        case .queue(let name):
            let queue = try await backend.queue(name)
            let gateways = try await backend.gatewayStatuses().filter { $0.gateway.queue == queue.name }
            let assigned = try await backend.assignments(queue: queue.name)
            let users = user.role == .admin ? try await backend.users() : []
            return Self.html(ConsolePages.queue(queue, gateways: gateways, assigned: assigned, users: users, user: user))
        case .gateways:
            return Self.html(ConsolePages.gateways(try await backend.gatewayStatuses(), user: user))
        case .staff:
            guard user.role == .admin else { return Self.errorPage(403, "The staff page needs the admin role; \(user.name) is an operator", user: user) }
            return Self.html(ConsolePages.staff(try await backend.users(), user: user))
        case .chats:
            var filter = ChatFilter(limit: 200)
            let text = try fields.optional("text") ?? ""
            let queue = try fields.optional("queue") ?? ""
            filter.text = text.isEmpty ? nil : text
            filter.queue = queue.isEmpty ? nil : queue
            return Self.html(ConsolePages.chats(try await backend.chats(filter), text: text, queue: queue, user: user))
        case .chat(let id):
            return Self.html(ConsolePages.chat(try await statistics.chatTranscript(id), user: user))
        case .statistics:
            let report = try await statistics.statistics(try await statisticsRequest(fields))
            return Self.html(ConsolePages.statistics(report, queues: try await backend.queues().map(\.name), user: user))
        case .events:
            return deskEvents(token: request.cookie(SessionCookie.name) ?? "")
        case .login, .stylesheet, .script, .icon:
            return Self.redirect("/console")
        }
    }

    private func desk() async throws -> DeskView {
        guard let console = backend as? any ConsoleBackend else {
            throw AdminError(status: 501, "This router has no desk view")
        }
        return try await console.deskView()
    }

    /// The desk as server-sent events: the desk section again whenever it changed (checked every second), a comment
    /// every 15 s so proxies keep the connection, and `signedout` when the session ends.
    private func deskEvents(token: String) -> AdminResponse {
        let service = self
        var headers = Self.consoleHeaders(type: "text/event-stream; charset=utf-8")
        headers.append(("Cache-Control", "no-store"))
        return AdminResponse(status: 200, headers: headers, stream: AdminStream { write in
            guard await service.eventStreams.open() else {
                try await write(Array("retry: 10000\nevent: busy\ndata: too many live pages are open\n\n".utf8))
                return
            }
            do {
                try await service.streamDesk(token: token, write: write)
            } catch {
                await service.eventStreams.close()
                throw error
            }
            await service.eventStreams.close()
        })
    }

    private func streamDesk(token: String, write: @Sendable ([UInt8]) async throws -> Void) async throws {
        try await write(Array("retry: 2000\n\n".utf8))
        var last = ""
        var quiet = 0
        while !Task.isCancelled {
            guard await auth.user(for: token, at: now()) != nil else {
                try await write(Array("event: signedout\ndata: signed out\n\n".utf8))
                return
            }
            let html = ConsolePages.desk(try await desk())
            if html != last {
                last = html
                quiet = 0
                let data = html.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)\n" }.joined()
                try await write(Array("event: desk\n\(data)\n".utf8))
            } else {
                quiet += 1
                if quiet >= 15 {
                    quiet = 0
                    try await write(Array(": still here\n\n".utf8))
                }
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

/// Counts the open live pages, so a client cannot hold an unbounded number of streams.
actor EventStreamLimit {
    let maximum: Int
    private var count = 0

    init(maximum: Int) {
        self.maximum = maximum
    }

    func open() -> Bool {
        guard count < maximum else { return false }
        count += 1
        return true
    }

    func close() {
        count = max(0, count - 1)
    }
}
