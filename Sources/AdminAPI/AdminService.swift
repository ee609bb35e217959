import Logging
import NIOPosix

/// Settings of the admin API's behaviour (the listeners have their own, in ``AdminServerSettings``).
public struct AdminServiceSettings: Sendable {
    /// Return gateway passwords in responses, as LibraryH3lp did. Off by default: secrets are write-only.
    public var returnSecrets = false
    /// How long a login lasts.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    public var throttle = LoginThrottle.Policy()
    /// PBKDF2 iterations for new password hashes.
    public var hashIterations = PasswordHasher.defaultIterations

    public init() {}
}

/// The admin API: turns a request into a response. Everything here is independent of sockets and TLS, so it is
/// exercised directly by tests as well as by ``AdminServer``.
public struct AdminService: Sendable {
    let backend: any AdminBackend
    let statistics: any StatisticsBackend
    let settings: AdminServiceSettings
    let logger: Logger
    let now: @Sendable () -> Int64
    let auth: AuthState
    /// Live console pages (server-sent events) open at once, at most.
    let eventStreams = EventStreamLimit(maximum: 32)

    public init(
        backend: any AdminBackend, statistics: any StatisticsBackend, settings: AdminServiceSettings, logger: Logger,
        now: @escaping @Sendable () -> Int64
    ) {
        self.backend = backend
        self.statistics = statistics
        self.settings = settings
        self.logger = logger
        self.now = now
        let (seconds, attoseconds) = settings.sessionLifetime.components
        auth = AuthState(sessionLifetime: seconds * 1000 + attoseconds / 1_000_000_000_000_000, policy: settings.throttle)
    }

    /// Answers one request. Never throws: every failure becomes a `{"success": false, "message": …}` answer.
    public func handle(_ request: AdminRequest) async -> AdminResponse {
        let method = AdminRoute.effectiveMethod(of: request)
        if let segments = request.pathSegments, let page = ConsoleRoute.resolve(segments) {
            return await handleConsole(page, request: request, method: method)
        }
        if Self.isCrossSite(request, method: method) {
            logger.warning("cross-site change refused", metadata: ["origin": "\(request.header("origin") ?? "")", "path": "\(request.path)"])
            return .failure(403, "Changes must come from this site's own pages (Origin \(request.header("origin") ?? "cross-site") is another site)")
        }
        let route: AdminRoute
        switch AdminRoute.resolve(method: method, segments: request.pathSegments) {
        case .route(let resolved): route = resolved
        case .notFound: return .failure(404, "No such resource: \(request.path)")
        case .badPath: return .failure(400, "The path has a malformed %-escape or one that is not UTF-8")
        case .methodNotAllowed(let allowed):
            var response = AdminResponse.failure(405, "\(method) is not supported here; use \(allowed.joined(separator: " or "))")
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
        if case .presence = route { return await presence(route) }
        if case .presencePreflight = route { return Self.withCORS(AdminResponse(status: 204)) }

        var caller: AdminAccount?
        if route.access != .open {
            guard let token = request.cookie(SessionCookie.name), let name = await auth.user(for: token, at: now()) else {
                return .failure(401, "Sign in first: POST /\(AdminRoute.prefix)/auth/login with username and password")
            }
            do {
                caller = try await backend.account(named: name)
            } catch {
                return internalError(error, route: route)
            }
            guard let account = caller else {
                await auth.close(token)
                return .failure(401, "The account of this session no longer exists; sign in again")
            }
            if route.access == .admin, account.role != .admin {
                return .failure(403, "This needs the admin role; \(account.name) is an operator")
            }
        }
        do {
            let fields = try RequestFields(request: request)
            return try await perform(route, fields: fields, request: request, caller: caller)
        } catch let invalid as RequestFields.Invalid {
            return .failure(invalid.status, invalid.message)
        } catch let refusal as AdminError {
            return .failure(refusal.status, refusal.message)
        } catch let refusal as PasswordHasher.Refusal {
            return .failure(400, refusal.description)
        } catch {
            return internalError(error, route: route)
        }
    }

    private func internalError(_ error: any Error, route: AdminRoute) -> AdminResponse {
        logger.error("admin request failed", metadata: ["route": "\(route)", "error": "\(error)"])
        return .failure(500, "Internal error; the router's log has the details")
    }

    // MARK: Routes

    private func perform(_ route: AdminRoute, fields: RequestFields, request: AdminRequest, caller: AdminAccount?) async throws -> AdminResponse {
        switch route {
        case .login:
            return try await login(fields: fields, request: request)
        case .logout:
            if let token = request.cookie(SessionCookie.name) { await auth.close(token) }
            var response = AdminResponse.success
            response.headers.append(("Set-Cookie", SessionCookie.clear(secure: request.isSecure)))
            return response
        case .whoami:
            guard let caller else { throw AdminError(status: 401, "Not signed in") }
            return .json(.object([("success", .bool(true)), ("user", .string(caller.name)), ("role", .string(caller.role.rawValue))]))

        case .listQueues:
            return .json(.array(try await backend.queues().map(\.json)))
        case .createQueue:
            var settings = QueueSettings(name: try fields.required("name"))
            try Self.checkQueueName(settings.name)
            let update = try Self.queueUpdate(fields)
            settings.routing = update.routing ?? .ringAll
            settings.chatLimit = update.chatLimit ?? 0
            settings.offlineReply = update.offlineReply ?? ""
            settings.keepsTranscripts = update.keepsTranscripts ?? true
            settings.openingHours = update.openingHours.flatMap { $0.isEmpty ? nil : $0 }
            settings.timeZone = update.timeZone.flatMap { $0.isEmpty ? nil : $0 }
            let queue = try await backend.createQueue(settings)
            logger.info("queue created", metadata: ["queue": "\(queue.name)", "by": "\(caller?.name ?? "")"])
            return .json(queue.json, status: 201)
        case .showQueue(let queue):
            return .json(try await backend.queue(queue).json)
        case .updateQueue(let queue):
            let updated = try await backend.updateQueue(queue, try Self.queueUpdate(fields))
            logger.info("queue updated", metadata: ["queue": "\(updated.name)", "by": "\(caller?.name ?? "")"])
            return .json(updated.json)
        case .deleteQueue(let queue):
            try await backend.deleteQueue(queue)
            logger.info("queue deleted", metadata: ["queue": "\(queue)", "by": "\(caller?.name ?? "")"])
            return .success

        case .listGateways(let queue):
            return .json(.array(try await backend.gateways(queue: queue).map { $0.json(returningSecret: settings.returnSecrets) }))
        case .addGateway(let queue):
            let username = try fields.required("username")
            let protocolName = try fields.required("protocol").lowercased()
            let secret = try fields.optional("password") ?? ""
            if let raw = fields["password"], raw.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                throw RequestFields.Invalid(message: "Field password contains control characters")
            }
            let gateway = try await backend.addGateway(queue: queue, protocolName: protocolName, username: username, secret: secret)
            logger.info(
                "gateway added",
                metadata: ["gateway": "\(gateway.id)", "queue": "\(gateway.queue)", "protocol": "\(gateway.protocolName)", "by": "\(caller?.name ?? "")"]
            )
            // LibraryH3lp answered a POST with a one-element list.
            return .json(.array([gateway.json(returningSecret: settings.returnSecrets)]))
        case .showGateway(let queue, let gateway):
            return .json(try await backend.gatewayStatus(queue: queue, gateway: gateway).json)
        case .updateGateway(let queue, let gateway):
            let secret = try fields.secret("password")
            if secret.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                throw RequestFields.Invalid(message: "Field password contains control characters")
            }
            let updated = try await backend.updateGateway(queue: queue, gateway: gateway, secret: secret)
            logger.info(
                "gateway password changed",
                metadata: ["gateway": "\(updated.id)", "queue": "\(updated.queue)", "protocol": "\(updated.protocolName)", "by": "\(caller?.name ?? "")"]
            )
            // Answered like a POST: a one-element list in LibraryH3lp's shape.
            return .json(.array([updated.json(returningSecret: settings.returnSecrets)]))
        case .gatewayStates:
            return .json(.array(try await backend.gatewayStatuses().map(\.json)))
        case .status:
            return .json(try await backend.deskStatus().json)
        case .deleteGatewayByID(let queue, let id):
            try await backend.deleteGateway(queue: queue, id: id)
            logger.info("gateway deleted", metadata: ["gateway": "\(id)", "queue": "\(queue)", "by": "\(caller?.name ?? "")"])
            return .success
        case .deleteGatewayByAccount(let queue, let protocolName, let username):
            try await backend.deleteGateway(queue: queue, protocolName: protocolName.lowercased(), username: username)
            logger.info("gateway deleted", metadata: ["queue": "\(queue)", "protocol": "\(protocolName)", "by": "\(caller?.name ?? "")"])
            return .success

        case .listAssignments(let queue):
            return .json(.array(try await backend.assignments(queue: queue).map(JSONValue.string)))
        case .assign(let queue):
            let user = try fields.required(fields["operator"] != nil ? "operator" : "user")
            try await backend.assign(user: user, queue: queue)
            return .success
        case .unassign(let queue, let user):
            try await backend.unassign(user: user, queue: queue)
            return .success

        case .listUsers:
            return .json(.array(try await backend.users().map(\.json)))
        case .showUser(let name):
            return .json(try await backend.user(name).json)
        case .createUser:
            let name = try fields.required("name")
            try Self.checkName(name, what: "user")
            let roleText = try fields.optional("role") ?? "operator"
            guard let role = AdminRole(rawValue: roleText.lowercased()) else {
                throw RequestFields.Invalid(message: "Field role must be admin or operator, got \"\(roleText)\"")
            }
            var hash: String?
            if fields["password"] != nil {
                let password = try fields.secret("password")
                try PasswordHasher.checkStrength(password)
                hash = try await hashPassword(password)
            }
            let user = try await backend.createUser(name: name, role: role, passwordHash: hash)
            logger.info("user created", metadata: ["user": "\(name)", "role": "\(role.rawValue)", "by": "\(caller?.name ?? "")"])
            return .json(user.json, status: 201)
        case .deleteUser(let name):
            if name == caller?.name { throw AdminError.conflict("You cannot delete your own account") }
            try await backend.deleteUser(name)
            await auth.closeAll(of: name, except: nil)
            logger.info("user deleted", metadata: ["user": "\(name)", "by": "\(caller?.name ?? "")"])
            return .success
        case .setPassword(let name):
            guard let caller, caller.name == name || caller.role == .admin else {
                throw AdminError(status: 403, "Only admins can set another user's password")
            }
            let password = try fields.secret("password")
            try PasswordHasher.checkStrength(password)
            let hash = try await hashPassword(password)
            try await backend.setPasswordHash(user: name, hash: hash)
            await auth.closeAll(of: name, except: request.cookie(SessionCookie.name))
            logger.info("password set", metadata: ["user": "\(name)", "by": "\(caller.name)"])
            return .success
        case .listStaffing(let user):
            return .json(.array(try await backend.staffingJIDs(user: user).map(JSONValue.string)))
        case .addStaffing(let user):
            let jid = try await backend.addStaffingJID(user: user, jid: try fields.required("jid"))
            logger.info("staffing JID added", metadata: ["user": "\(user)", "jid": "\(jid)", "by": "\(caller?.name ?? "")"])
            return .json(.object([("success", .bool(true)), ("jid", .string(jid))]), status: 201)
        case .removeStaffing(let user, let jid):
            try await backend.removeStaffingJID(user: user, jid: jid)
            return .success

        case .listChats:
            var filter = ChatFilter()
            filter.queue = try fields.optional("queue").flatMap { $0.isEmpty ? nil : $0 }
            if let state = try fields.optional("state") {
                guard ["new", "ongoing", "completed"].contains(state) else {
                    throw RequestFields.Invalid(message: "Field state must be new, ongoing or completed, got \"\(state)\"")
                }
                filter.state = state
            }
            if let from = try fields.optional("from") {
                guard let start = CivilTime.parseDate(from) else { throw RequestFields.Invalid(message: "Field from must be a date YYYY-MM-DD, got \"\(from)\"") }
                filter.from = start
            }
            if let to = try fields.optional("to") {
                guard let end = CivilTime.parseDate(to) else { throw RequestFields.Invalid(message: "Field to must be a date YYYY-MM-DD, got \"\(to)\"") }
                filter.to = end + 86_400_000
            }
            filter.limit = try fields.integer("limit", in: 1...10_000) ?? 500
            filter.text = try fields.optional("text").flatMap { $0.isEmpty ? nil : $0 }
            return .json(.array(try await backend.chats(filter).map(\.json)))
        case .showChat(let id):
            return .json(try await statistics.chatTranscript(id).json)
        case .statistics:
            return .json(try await statistics.statistics(try await statisticsRequest(fields)).json)
        case .exportChats:
            return try await exportResponse(fields: fields, caller: caller)

        case .presence, .presencePreflight:
            return AdminResponse(status: 500)
        }
    }

    private func login(fields: RequestFields, request: AdminRequest) async throws -> AdminResponse {
        let name = try fields.required("username")
        let password = try fields.secret("password")
        let time = now()
        if let block = await auth.check(account: name, address: request.remoteAddress, at: time) {
            let (scope, retry): (String, Int64) =
                switch block {
                case .account(let after): ("this account", after)
                case .address(let after): ("your address", after)
                }
            let seconds = max(1, (retry + 999) / 1000)
            logger.warning("login refused: too many failures", metadata: ["user": "\(name)", "address": "\(request.remoteAddress)"])
            var response = AdminResponse.failure(429, "Too many failed logins for \(scope); try again in \(seconds) seconds")
            response.headers.append(("Retry-After", "\(seconds)"))
            return response
        }
        let account = try await backend.account(named: name)
        let stored = account?.passwordHash
        let matches = try await NIOThreadPool.singleton.runIfActive { PasswordHasher.verify(password, against: stored) }
        guard matches, let account else {
            await auth.failed(account: name, address: request.remoteAddress, at: time)
            logger.notice("login failed", metadata: ["user": "\(name)", "address": "\(request.remoteAddress)"])
            return .failure(401, "Wrong username or password")
        }
        let token = await auth.succeeded(account: account.name, at: time)
        logger.info("signed in", metadata: ["user": "\(account.name)", "address": "\(request.remoteAddress)"])
        var response = AdminResponse.json(
            .object([("success", .bool(true)), ("user", .string(account.name)), ("role", .string(account.role.rawValue))])
        )
        response.headers.append(("Set-Cookie", SessionCookie.set(token, maxAge: settings.sessionLifetime.components.seconds, secure: request.isSecure)))
        return response
    }

    private func hashPassword(_ password: String) async throws -> String {
        let iterations = settings.hashIterations
        return try await NIOThreadPool.singleton.runIfActive { PasswordHasher.hash(password, iterations: iterations) }
    }

    private func presence(_ route: AdminRoute) async -> AdminResponse {
        guard case .presence(let queue, let plainText) = route else { return .failure(404, "No such resource") }
        guard let online = await backend.presence(queue: queue) else {
            return Self.withCORS(.failure(404, "No queue named \(queue)"))
        }
        if plainText {
            return Self.withCORS(
                AdminResponse(
                    status: 200, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
                    body: Array((online ? "available\n" : "unavailable\n").utf8)
                )
            )
        }
        var response = AdminResponse.json(.object([("queue", .string(queue)), ("available", .bool(online))]))
        response.headers.append(("Cache-Control", "no-store"))
        return Self.withCORS(response)
    }

    /// Library web pages on other origins read the presence API; it carries no credentials, so any origin may.
    static func withCORS(_ response: AdminResponse) -> AdminResponse {
        var response = response
        response.headers += [
            ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", "GET, OPTIONS"),
            ("Access-Control-Allow-Headers", "Content-Type, X-API-Version"), ("Access-Control-Max-Age", "86400"),
        ]
        return response
    }

    // MARK: Field rules

    /// Names appear in XMPP addresses (queues) and in URLs: letters, digits, `.`, `_`, `-`, up to 64 characters.
    public static func checkName(_ name: String, what: String) throws(RequestFields.Invalid) {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            (scalar.value < 128) && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-")
        }
        guard allowed, name.count <= 64, let first = name.unicodeScalars.first, first != ".", first != "-" else {
            throw RequestFields.Invalid(
                message: "A \(what) name may use only letters, digits, '.', '_' and '-' (up to 64, not starting with '.' or '-'), got \"\(name)\""
            )
        }
    }

    /// A queue name also may not be all digits: LibraryH3lp's clients address queues by numeric id
    /// (`/queues/9347/gateways`), so a queue named `1` would hide queue id 1, or the other way round.
    public static func checkQueueName(_ name: String) throws(RequestFields.Invalid) {
        try checkName(name, what: "queue")
        if name.allSatisfy({ ("0"..."9").contains($0) }) {
            throw RequestFields.Invalid(
                message: "A queue name cannot be all digits (got \"\(name)\"): /queues/\(name) means the queue with id \(name); add a letter"
            )
        }
    }

    static func queueUpdate(_ fields: RequestFields) throws(RequestFields.Invalid) -> QueueUpdate {
        var update = QueueUpdate()
        if let routing = try fields.optional("routing") {
            guard let parsed = RoutingName(rawValue: routing.lowercased()) else {
                throw RequestFields.Invalid(message: "Field routing must be ring-all or least-busy, got \"\(routing)\"")
            }
            update.routing = parsed
        }
        update.chatLimit = try fields.integer("chatLimit", in: 0...1000)
        update.offlineReply = try fields.optional("offlineReply")
        update.keepsTranscripts = try fields.flag("keepsTranscripts")
        update.openingHours = try fields.optional("openingHours")
        update.timeZone = try fields.optional("timeZone")
        if update.routing == .leastBusy, let limit = update.chatLimit, limit < 1 {
            throw RequestFields.Invalid(message: "A least-busy queue needs a chatLimit of at least 1")
        }
        return update
    }
}
