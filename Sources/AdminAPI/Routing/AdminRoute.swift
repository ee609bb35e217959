/// Every operation of the admin API, recognised from a method and a path.
///
/// Kept free of I/O so the whole table can be tested. LibraryH3lp's paths live under its version prefix
/// `/2011-12-03`; refdesk's own resources (queues, users, staffing JIDs, assignments, chats) sit under the same
/// prefix so one base URL serves everything. The presence API has no prefix: library web pages embed it.
public enum AdminRoute: Equatable, Sendable {
    case login
    case logout
    case whoami

    case listQueues
    case createQueue
    case showQueue(queue: String)
    case updateQueue(queue: String)
    case deleteQueue(queue: String)

    case listGateways(queue: String)
    case addGateway(queue: String)
    case deleteGatewayByID(queue: String, id: Int64)
    case deleteGatewayByAccount(queue: String, protocolName: String, username: String)
    /// refdesk's own: one gateway with its state.
    case showGateway(queue: String, gateway: GatewayReference)
    /// refdesk's own: a new password or token for a gateway.
    case updateGateway(queue: String, gateway: GatewayReference)
    /// refdesk's own: every gateway with its state.
    case gatewayStates
    /// refdesk's own: the whole desk at a glance.
    case status

    case listAssignments(queue: String)
    case assign(queue: String)
    case unassign(queue: String, user: String)

    case listUsers
    case createUser
    case showUser(user: String)
    case deleteUser(user: String)
    case setPassword(user: String)
    case listStaffing(user: String)
    case addStaffing(user: String)
    case removeStaffing(user: String, jid: String)

    case listChats
    /// One chat with its transcript (lines without text for queues that keep no transcripts).
    case showChat(id: Int64)
    /// Figures per period, queue, channel or librarian (AdminService+Statistics.swift).
    case statistics
    /// One CSV row per chat.
    case exportChats

    case presence(queue: String, plainText: Bool)
    case presencePreflight

    /// Who may call it.
    public enum Access: Equatable, Sendable {
        /// Anyone (the login form itself, the presence API).
        case open
        /// Any signed-in user.
        case signedIn
        /// Admins only.
        case admin
    }

    public var access: Access {
        switch self {
        case .login, .presence, .presencePreflight: .open
        case .logout, .whoami, .listQueues, .showQueue, .listChats, .showChat, .statistics, .exportChats, .setPassword: .signedIn
        default: .admin
        }
    }

    /// The version prefix of LibraryH3lp's API, which refdesk keeps.
    public static let prefix = "2011-12-03"

    /// What a method and path mean.
    public enum Resolution: Equatable, Sendable {
        case route(AdminRoute)
        /// The path exists but not with this method; the allowed methods go into `Allow`.
        case methodNotAllowed(allowed: [String])
        case notFound
        /// A percent escape in the path was malformed.
        case badPath
    }

    /// Resolves a request. `method` is the effective method: a POST carrying `_method=DELETE` (or `PUT`) in its
    /// query or form counts as that method, as LibraryH3lp allowed for clients that cannot send DELETE.
    public static func resolve(method: String, segments: [String]?) -> Resolution {
        guard let segments else { return .badPath }
        let candidates = table(segments)
        guard !candidates.isEmpty else { return .notFound }
        if let match = candidates.first(where: { $0.method == method }) { return .route(match.route) }
        if method == "HEAD", let match = candidates.first(where: { $0.method == "GET" }) { return .route(match.route) }
        return .methodNotAllowed(allowed: candidates.map(\.method))
    }

    private static func table(_ segments: [String]) -> [(method: String, route: AdminRoute)] {
        if segments.count == 2, segments[0] == "presence" {
            let name = segments[1]
            if name.hasSuffix(".txt") {
                let queue = String(name.dropLast(4))
                return [("GET", .presence(queue: queue, plainText: true)), ("OPTIONS", .presencePreflight)]
            }
            let queue = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
            return [("GET", .presence(queue: queue, plainText: false)), ("OPTIONS", .presencePreflight)]
        }
        guard segments.first == prefix else { return [] }
        let path = Array(segments.dropFirst())
        switch path.count {
        case 2 where path[0] == "auth":
            switch path[1] {
            case "login": return [("POST", .login)]
            case "logout": return [("POST", .logout)]
            case "whoami": return [("GET", .whoami)]
            default: return []
            }
        case 1 where path[0] == "status":
            return [("GET", .status)]
        case 1 where path[0] == "gateways":
            return [("GET", .gatewayStates)]
        case 1 where path[0] == "queues":
            return [("GET", .listQueues), ("POST", .createQueue)]
        case 2 where path[0] == "queues":
            let queue = path[1]
            return [("GET", .showQueue(queue: queue)), ("PUT", .updateQueue(queue: queue)), ("DELETE", .deleteQueue(queue: queue))]
        case 3 where path[0] == "queues" && path[2] == "gateways":
            return [("GET", .listGateways(queue: path[1])), ("POST", .addGateway(queue: path[1]))]
        case 4 where path[0] == "queues" && path[2] == "gateways":
            guard path[3].allSatisfy({ ("0"..."9").contains($0) }), let id = Int64(path[3]), id > 0 else { return [] }
            return [
                ("GET", .showGateway(queue: path[1], gateway: .id(id))), ("PUT", .updateGateway(queue: path[1], gateway: .id(id))),
                ("DELETE", .deleteGatewayByID(queue: path[1], id: id)),
            ]
        case 5 where path[0] == "queues" && path[2] == "gateways":
            let account = GatewayReference.account(protocolName: path[3], username: path[4])
            return [
                ("GET", .showGateway(queue: path[1], gateway: account)), ("PUT", .updateGateway(queue: path[1], gateway: account)),
                ("DELETE", .deleteGatewayByAccount(queue: path[1], protocolName: path[3], username: path[4])),
            ]
        case 3 where path[0] == "queues" && path[2] == "operators":
            return [("GET", .listAssignments(queue: path[1])), ("POST", .assign(queue: path[1]))]
        case 4 where path[0] == "queues" && path[2] == "operators":
            return [("DELETE", .unassign(queue: path[1], user: path[3]))]
        case 1 where path[0] == "users":
            return [("GET", .listUsers), ("POST", .createUser)]
        case 2 where path[0] == "users":
            return [("GET", .showUser(user: path[1])), ("DELETE", .deleteUser(user: path[1]))]
        case 3 where path[0] == "users" && path[2] == "password":
            return [("POST", .setPassword(user: path[1])), ("PUT", .setPassword(user: path[1]))]
        case 3 where path[0] == "users" && path[2] == "staffing":
            return [("GET", .listStaffing(user: path[1])), ("POST", .addStaffing(user: path[1]))]
        case 4 where path[0] == "users" && path[2] == "staffing":
            return [("DELETE", .removeStaffing(user: path[1], jid: path[3]))]
        case 1 where path[0] == "chats":
            return [("GET", .listChats)]
        case 2 where path[0] == "chats":
            guard path[1].allSatisfy({ ("0"..."9").contains($0) }), let id = Int64(path[1]), id > 0 else { return [] }
            return [("GET", .showChat(id: id))]
        case 1 where path[0] == "statistics":
            return [("GET", .statistics)]
        case 2 where path[0] == "statistics" && path[1] == "chats.csv":
            return [("GET", .exportChats)]
        default:
            return []
        }
    }

    /// Every operation as a method and an OpenAPI path template: what docs/admin-api.openapi.yaml must list, no more
    /// and no less (a test holds them together). `HEAD` is served wherever `GET` is, as HTTP asks.
    public static let templates: [(method: String, path: String)] = [
        ("POST", "/\(prefix)/auth/login"), ("POST", "/\(prefix)/auth/logout"), ("GET", "/\(prefix)/auth/whoami"),
        ("GET", "/\(prefix)/status"), ("GET", "/\(prefix)/gateways"),
        ("GET", "/\(prefix)/queues"), ("POST", "/\(prefix)/queues"),
        ("GET", "/\(prefix)/queues/{QueueId}"), ("PUT", "/\(prefix)/queues/{QueueId}"), ("DELETE", "/\(prefix)/queues/{QueueId}"),
        ("GET", "/\(prefix)/queues/{QueueId}/gateways"), ("POST", "/\(prefix)/queues/{QueueId}/gateways"),
        ("GET", "/\(prefix)/queues/{QueueId}/gateways/{GatewayId}"), ("PUT", "/\(prefix)/queues/{QueueId}/gateways/{GatewayId}"),
        ("DELETE", "/\(prefix)/queues/{QueueId}/gateways/{GatewayId}"),
        ("GET", "/\(prefix)/queues/{QueueId}/gateways/{ProtocolName}/{Username}"),
        ("PUT", "/\(prefix)/queues/{QueueId}/gateways/{ProtocolName}/{Username}"),
        ("DELETE", "/\(prefix)/queues/{QueueId}/gateways/{ProtocolName}/{Username}"),
        ("GET", "/\(prefix)/queues/{QueueId}/operators"), ("POST", "/\(prefix)/queues/{QueueId}/operators"),
        ("DELETE", "/\(prefix)/queues/{QueueId}/operators/{User}"),
        ("GET", "/\(prefix)/users"), ("POST", "/\(prefix)/users"),
        ("GET", "/\(prefix)/users/{User}"), ("DELETE", "/\(prefix)/users/{User}"),
        ("POST", "/\(prefix)/users/{User}/password"), ("PUT", "/\(prefix)/users/{User}/password"),
        ("GET", "/\(prefix)/users/{User}/staffing"), ("POST", "/\(prefix)/users/{User}/staffing"),
        ("DELETE", "/\(prefix)/users/{User}/staffing/{Jid}"),
        ("GET", "/\(prefix)/chats"), ("GET", "/\(prefix)/chats/{ChatId}"),
        ("GET", "/\(prefix)/statistics"), ("GET", "/\(prefix)/statistics/chats.csv"),
        ("GET", "/presence/{Queue}"), ("OPTIONS", "/presence/{Queue}"),
    ]

    /// The effective method: `_method` from the query or a form body overrides POST (only to DELETE or PUT).
    public static func effectiveMethod(of request: AdminRequest) -> String {
        guard request.method == "POST" else { return request.method }
        var override = request.queryValue("_method")
        if override == nil {
            let type = (request.header("content-type") ?? "").lowercased()
            if type.hasPrefix("application/x-www-form-urlencoded"), let text = String(validating: request.body, as: UTF8.self),
                let pairs = FormDecoding.decode(text)
            {
                override = pairs.first { $0.0 == "_method" }?.1
            } else if type.hasPrefix("application/json") || type.isEmpty, let document = try? JSONValue(parsing: request.body) {
                override = document["_method"]?.stringValue
            }
        }
        guard let override else { return "POST" }
        switch override.uppercased() {
        case "DELETE": return "DELETE"
        case "PUT": return "PUT"
        default: return "POST"
        }
    }
}
