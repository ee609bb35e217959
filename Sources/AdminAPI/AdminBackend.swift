/// What the admin API needs from the process that owns the state (the router).
///
/// The API checks the shape of requests (fields present, roles, sessions); the backend applies the rules
/// (names unique, loop guard, one account one queue), makes each change durable and puts it into effect, and
/// refuses with an ``AdminError`` whose message goes to the client unchanged.
public protocol AdminBackend: Sendable {
    /// An account that can sign in, or `nil`.
    func account(named name: String) async throws -> AdminAccount?

    func queues() async throws -> [QueueInfo]
    /// `reference` is a queue's name or its numeric id.
    func queue(_ reference: String) async throws -> QueueInfo
    func createQueue(_ settings: QueueSettings) async throws -> QueueInfo
    func updateQueue(_ reference: String, _ update: QueueUpdate) async throws -> QueueInfo
    func deleteQueue(_ reference: String) async throws

    func gateways(queue reference: String) async throws -> [GatewayInfo]
    func addGateway(queue reference: String, protocolName: String, username: String, secret: String) async throws -> GatewayInfo
    func deleteGateway(queue reference: String, id: Int64) async throws
    func deleteGateway(queue reference: String, protocolName: String, username: String) async throws
    /// Replaces a gateway's password or token in place; its bridge signs in again with it.
    func updateGateway(queue reference: String, gateway: GatewayReference, secret: String) async throws -> GatewayInfo
    /// One gateway with its state.
    func gatewayStatus(queue reference: String, gateway: GatewayReference) async throws -> GatewayStatusInfo
    /// Every gateway of every queue with its state.
    func gatewayStatuses() async throws -> [GatewayStatusInfo]
    /// The whole desk at a glance.
    func deskStatus() async throws -> DeskStatus

    func assignments(queue reference: String) async throws -> [String]
    func assign(user: String, queue reference: String) async throws
    func unassign(user: String, queue reference: String) async throws

    func users() async throws -> [UserInfo]
    func user(_ name: String) async throws -> UserInfo
    func createUser(name: String, role: AdminRole, passwordHash: String?) async throws -> UserInfo
    func deleteUser(_ name: String) async throws
    func setPasswordHash(user: String, hash: String) async throws

    func staffingJIDs(user: String) async throws -> [String]
    /// Returns the JID as stored (normalised).
    func addStaffingJID(user: String, jid: String) async throws -> String
    func removeStaffingJID(user: String, jid: String) async throws

    func chats(_ filter: ChatFilter) async throws -> [ChatInfo]

    /// A queue's availability for the presence API; `nil` for an unknown queue.
    func presence(queue name: String) async -> Bool?
}

/// A refusal the client should see: a status and a message in LibraryH3lp's `{"success": false, ...}` shape.
public struct AdminError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }

    public static func badRequest(_ message: String) -> AdminError { AdminError(status: 400, message) }
    public static func notFound(_ message: String) -> AdminError { AdminError(status: 404, message) }
    public static func conflict(_ message: String) -> AdminError { AdminError(status: 409, message) }
    /// The loop guard's refusal, in LibraryH3lp's words.
    public static let accountInUse = AdminError(status: 409, "That account is already in use")
}

public enum AdminRole: String, Sendable, CaseIterable {
    case admin
    case `operator`
}

public struct AdminAccount: Sendable, Equatable {
    public var name: String
    public var role: AdminRole
    public var passwordHash: String?

    public init(name: String, role: AdminRole, passwordHash: String?) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
    }
}

public enum RoutingName: String, Sendable, CaseIterable {
    case ringAll = "ring-all"
    case leastBusy = "least-busy"
}

/// A queue as the API shows it.
public struct QueueInfo: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var routing: RoutingName
    public var chatLimit: Int
    public var offlineReply: String
    public var keepsTranscripts: Bool
    public var openingHours: String?
    public var timeZone: String?
    public var online: Bool

    public init(
        id: Int64, name: String, routing: RoutingName, chatLimit: Int, offlineReply: String, keepsTranscripts: Bool,
        openingHours: String?, timeZone: String?, online: Bool
    ) {
        self.id = id
        self.name = name
        self.routing = routing
        self.chatLimit = chatLimit
        self.offlineReply = offlineReply
        self.keepsTranscripts = keepsTranscripts
        self.openingHours = openingHours
        self.timeZone = timeZone
        self.online = online
    }

    var json: JSONValue {
        .object([
            ("id", .integer(id)), ("name", .string(name)), ("routing", .string(routing.rawValue)), ("chatLimit", .integer(Int64(chatLimit))),
            ("offlineReply", .string(offlineReply)), ("keepsTranscripts", .bool(keepsTranscripts)),
            ("openingHours", openingHours.map(JSONValue.string) ?? .null), ("timeZone", timeZone.map(JSONValue.string) ?? .null),
            ("online", .bool(online)),
        ])
    }
}

/// A new queue's settings.
public struct QueueSettings: Sendable, Equatable {
    public var name: String
    public var routing: RoutingName = .ringAll
    public var chatLimit: Int = 0
    public var offlineReply: String = ""
    public var keepsTranscripts: Bool = true
    public var openingHours: String?
    public var timeZone: String?

    public init(name: String) {
        self.name = name
    }
}

/// Changes to a queue; `nil` leaves a setting as it is (an empty opening hours text removes them).
public struct QueueUpdate: Sendable, Equatable {
    public var routing: RoutingName?
    public var chatLimit: Int?
    public var offlineReply: String?
    public var keepsTranscripts: Bool?
    public var openingHours: String?
    public var timeZone: String?

    public init() {}
}

/// A gateway in LibraryH3lp's shape.
public struct GatewayInfo: Sendable, Equatable {
    public var id: Int64
    public var queue: String
    public var protocolName: String
    public var username: String
    public var secret: String

    public init(id: Int64, queue: String, protocolName: String, username: String, secret: String) {
        self.id = id
        self.queue = queue
        self.protocolName = protocolName
        self.username = username
        self.secret = secret
    }

    /// LibraryH3lp's protocol ids: aim = 1, twilio (SMS) = 14. Other protocols (refdesk's test bridge) get 0.
    public static func protocolID(of name: String) -> Int64 {
        switch name {
        case "aim": 1
        case "twilio": 14
        default: 0
        }
    }

    /// `id, queue, protocolId, protocol, username, password` in that order; the password is `null` unless
    /// secrets are configured to be returned.
    func json(returningSecret: Bool) -> JSONValue {
        .object([
            ("id", .integer(id)), ("queue", .string(queue)), ("protocolId", .integer(Self.protocolID(of: protocolName))),
            ("protocol", .string(protocolName)), ("username", .string(username)),
            ("password", returningSecret ? .string(secret) : .null),
        ])
    }
}

/// A gateway in a URL: by id, or by protocol and username (LibraryH3lp's two forms).
public enum GatewayReference: Sendable, Equatable, CustomStringConvertible {
    case id(Int64)
    case account(protocolName: String, username: String)

    public var description: String {
        switch self {
        case .id(let id): "\(id)"
        case .account(let protocolName, let username): "\(protocolName)/\(username)"
        }
    }
}

/// A gateway with the state its bridge reports: refdesk's own resource beside LibraryH3lp's list, whose shape
/// old clients rely on and which therefore stays as it was.
public struct GatewayStatusInfo: Sendable, Equatable {
    public var gateway: GatewayInfo
    /// `online`, `offline`, `connecting` or `failed`.
    public var state: String
    public var reason: String
    /// When it entered that state (ms since the epoch).
    public var since: Int64

    public init(gateway: GatewayInfo, state: String, reason: String, since: Int64) {
        self.gateway = gateway
        self.state = state
        self.reason = reason
        self.since = since
    }

    var json: JSONValue {
        .object([
            ("id", .integer(gateway.id)), ("queue", .string(gateway.queue)),
            ("protocolId", .integer(GatewayInfo.protocolID(of: gateway.protocolName))), ("protocol", .string(gateway.protocolName)),
            ("username", .string(gateway.username)), ("state", .string(state)), ("reason", .string(reason)),
            ("since", .string(CivilTime.iso8601(since))),
        ])
    }
}

/// The whole desk at a glance: what `refdeskctl status` shows.
public struct DeskStatus: Sendable, Equatable {
    public struct Queue: Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var online: Bool
        /// Assigned operators who can take chats now.
        public var staffedBy: [String]
        /// Conversations no operator has answered yet.
        public var waitingChats: Int
        /// Messages in the offline inbox.
        public var offlineMessages: Int

        public init(id: Int64, name: String, online: Bool, staffedBy: [String], waitingChats: Int, offlineMessages: Int) {
            self.id = id
            self.name = name
            self.online = online
            self.staffedBy = staffedBy
            self.waitingChats = waitingChats
            self.offlineMessages = offlineMessages
        }
    }

    public var queues: [Queue]
    public var gateways: [GatewayStatusInfo]
    /// Replies no bridge has acknowledged yet, by protocol.
    public var outbox: [String: Int]
    /// Whether the XMPP component is connected; `nil` when the router has no XMPP server configured.
    public var xmppConnected: Bool?

    public init(queues: [Queue], gateways: [GatewayStatusInfo], outbox: [String: Int], xmppConnected: Bool?) {
        self.queues = queues
        self.gateways = gateways
        self.outbox = outbox
        self.xmppConnected = xmppConnected
    }

    var json: JSONValue {
        .object([
            (
                "queues",
                .array(
                    queues.map { queue in
                        .object([
                            ("id", .integer(queue.id)), ("name", .string(queue.name)), ("online", .bool(queue.online)),
                            ("staffedBy", .array(queue.staffedBy.map(JSONValue.string))), ("waitingChats", .integer(Int64(queue.waitingChats))),
                            ("offlineMessages", .integer(Int64(queue.offlineMessages))),
                        ])
                    }
                )
            ),
            ("gateways", .array(gateways.map(\.json))),
            ("outbox", .object(outbox.sorted { $0.key < $1.key }.map { ($0.key, .integer(Int64($0.value))) })),
            ("xmppConnected", xmppConnected.map(JSONValue.bool) ?? .null),
        ])
    }
}

public struct UserInfo: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: AdminRole
    public var hasPassword: Bool
    public var staffingJIDs: [String]
    public var queues: [String]

    public init(id: Int64, name: String, role: AdminRole, hasPassword: Bool, staffingJIDs: [String], queues: [String]) {
        self.id = id
        self.name = name
        self.role = role
        self.hasPassword = hasPassword
        self.staffingJIDs = staffingJIDs
        self.queues = queues
    }

    var json: JSONValue {
        .object([
            ("id", .integer(id)), ("name", .string(name)), ("role", .string(role.rawValue)), ("canSignIn", .bool(hasPassword)),
            ("staffing", .array(staffingJIDs.map(JSONValue.string))), ("queues", .array(queues.map(JSONValue.string))),
        ])
    }
}

/// Which chats to list: by queue, state and a time range (ms since the epoch, `to` exclusive).
public struct ChatFilter: Sendable, Equatable {
    public var queue: String?
    public var state: String?
    /// Part of the patron's address, the librarian's name, or (for queues that keep transcripts) a line's text.
    public var text: String?
    public var from: Int64?
    public var to: Int64?
    public var limit: Int = 500

    public init(queue: String? = nil, state: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int = 500) {
        self.queue = queue
        self.state = state
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// A conversation in the history: new (no operator), ongoing (operator, no duration), completed (both).
public struct ChatInfo: Sendable, Equatable {
    public var id: Int64
    public var queue: String
    public var protocolName: String?
    public var patron: String
    public var state: String
    public var operatorName: String?
    public var startedAt: Int64
    public var answeredAt: Int64?
    public var endedAt: Int64?

    public init(
        id: Int64, queue: String, protocolName: String?, patron: String, state: String, operatorName: String?, startedAt: Int64,
        answeredAt: Int64?, endedAt: Int64?
    ) {
        self.id = id
        self.queue = queue
        self.protocolName = protocolName
        self.patron = patron
        self.state = state
        self.operatorName = operatorName
        self.startedAt = startedAt
        self.answeredAt = answeredAt
        self.endedAt = endedAt
    }

    /// Seconds from start to end, for completed chats.
    public var duration: Int64? {
        endedAt.map { ($0 - startedAt) / 1000 }
    }

    var json: JSONValue {
        .object([
            ("id", .integer(id)), ("queue", .string(queue)), ("protocol", protocolName.map(JSONValue.string) ?? .null),
            ("patron", .string(patron)), ("state", .string(state)), ("operator", operatorName.map(JSONValue.string) ?? .null),
            ("started", .string(CivilTime.iso8601(startedAt))), ("answered", answeredAt.map { .string(CivilTime.iso8601($0)) } ?? .null),
            ("ended", endedAt.map { .string(CivilTime.iso8601($0)) } ?? .null), ("duration", duration.map(JSONValue.integer) ?? .null),
        ])
    }
}

/// UTC calendar arithmetic for dates in filters and times in responses (no Foundation).
public enum CivilTime {
    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func date(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Parses `YYYY-MM-DD` into ms since the epoch at 00:00 UTC; `nil` for anything else or an impossible date.
    public static func parseDate(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let count = days(year: year, month: month, day: day)
        let back = date(fromDays: count)
        guard back.month == month, back.day == day else { return nil }
        return Int64(count) * 86_400_000
    }

    /// `2024-05-06T07:08:09Z`.
    public static func iso8601(_ milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let civil = date(fromDays: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(civil.year)
        return "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)-\(two(civil.month))-\(two(civil.day))T"
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
