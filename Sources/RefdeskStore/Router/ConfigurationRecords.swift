/// How a queue offers a new conversation to its operators.
public enum RoutingPolicy: String, Sendable, CaseIterable {
    /// Offer to every available operator; the first to answer takes it.
    case ringAll = "ring-all"
    /// Offer to the available operator with the fewest ongoing chats.
    case leastBusy = "least-busy"
}

/// A queue: the address patrons reach and operators staff.
public struct QueueRecord: Sendable, Equatable {
    public var name: String
    public var routingPolicy: RoutingPolicy
    /// The most conversations one operator of this queue is offered at once.
    public var chatLimit: Int
    /// Sent to a patron (once per offline spell) when nobody staffs the queue.
    public var offlineReply: String
    /// With this off only conversation metadata is kept, no message bodies.
    public var keepsTranscripts: Bool
    /// Weekly hours in the queue's local time, e.g. "Mon-Fri 09:00-17:00, Sat 10:00-14:00"; nil = always open.
    public var openingHours: String?
    /// The IANA time zone of `openingHours`, e.g. "America/New_York".
    public var timeZone: String?

    public init(
        name: String, routingPolicy: RoutingPolicy, chatLimit: Int, offlineReply: String, keepsTranscripts: Bool,
        openingHours: String? = nil, timeZone: String? = nil
    ) {
        self.openingHours = openingHours
        self.timeZone = timeZone
        self.name = name
        self.routingPolicy = routingPolicy
        self.chatLimit = chatLimit
        self.offlineReply = offlineReply
        self.keepsTranscripts = keepsTranscripts
    }
}

/// What an operator may do: admins also manage configuration through the admin API.
public enum OperatorRole: String, Sendable, CaseIterable {
    case admin
    case `operator`
}

/// A librarian account.
public struct OperatorRecord: Sendable, Equatable {
    public var name: String
    public var role: OperatorRole
    /// The admin API password hash; `nil` for operators who only chat over XMPP.
    public var passwordHash: String?

    public init(name: String, role: OperatorRole, passwordHash: String?) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
    }
}

/// An XMPP address an operator staffs from; one operator may use several clients.
public struct StaffingJIDRecord: Sendable, Equatable {
    public var jid: String
    public var operatorName: String

    public init(jid: String, operatorName: String) {
        self.jid = jid
        self.operatorName = operatorName
    }
}

/// Says that an operator staffs a queue.
public struct AssignmentRecord: Sendable, Equatable, Hashable {
    public var operatorName: String
    public var queueName: String

    public init(operatorName: String, queueName: String) {
        self.operatorName = operatorName
        self.queueName = queueName
    }
}

/// An account on an outside network (a Twilio number, an AIM screen name) delivering to one queue.
public struct GatewayRecord: Sendable, Equatable {
    public var id: Int64
    /// The bridge protocol name ("sms", "aim").
    public var network: String
    public var queueName: String
    /// As the administrator typed it, for display.
    public var username: String
    /// The form used for uniqueness (e.g. AIM screen names without case and spaces); computed by the
    /// caller, which knows each network's rules.
    public var normalisedUsername: String
    public var secret: String
    public var createdAt: Int64

    public init(
        id: Int64, network: String, queueName: String, username: String, normalisedUsername: String,
        secret: String, createdAt: Int64
    ) {
        self.id = id
        self.network = network
        self.queueName = queueName
        self.username = username
        self.normalisedUsername = normalisedUsername
        self.secret = secret
        self.createdAt = createdAt
    }
}

/// A patron address seen through a gateway.
public struct PatronRecord: Sendable, Equatable {
    public var gatewayID: Int64
    public var address: String
    public var firstSeenAt: Int64
    public var lastSeenAt: Int64

    public init(gatewayID: Int64, address: String, firstSeenAt: Int64, lastSeenAt: Int64) {
        self.gatewayID = gatewayID
        self.address = address
        self.firstSeenAt = firstSeenAt
        self.lastSeenAt = lastSeenAt
    }
}

/// A queue with the id the database gave it (LibraryH3lp's URLs address queues by id as well as by name).
public struct StoredQueue: Sendable, Equatable {
    public var id: Int64
    public var record: QueueRecord

    public init(id: Int64, record: QueueRecord) {
        self.id = id
        self.record = record
    }
}

/// An operator with the id the database gave it.
public struct StoredOperator: Sendable, Equatable {
    public var id: Int64
    public var record: OperatorRecord

    public init(id: Int64, record: OperatorRecord) {
        self.id = id
        self.record = record
    }
}
