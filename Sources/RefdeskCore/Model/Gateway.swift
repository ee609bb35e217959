/// The outside network a gateway speaks.
public enum GatewayProtocol: Hashable, Sendable, Codable, CustomStringConvertible {
    /// SMS through Twilio; accounts and patrons are E.164 phone numbers.
    case twilio
    /// AIM over OSCAR; accounts and patrons are screen names.
    case aim
    /// Any other protocol, by its name; accounts that look like JIDs are compared as JIDs.
    case other(String)

    /// Reads the protocol names used by the admin API (`twilio`, `aim`, anything else).
    public init(name: String) {
        switch name.lowercased() {
        case "twilio", "sms": self = .twilio
        case "aim": self = .aim
        default: self = .other(name.lowercased())
        }
    }

    public var name: String {
        switch self {
        case .twilio: "twilio"
        case .aim: "aim"
        case .other(let name): name
        }
    }

    public var description: String { name }
}

/// An outside account (an SMS number, an AIM screen name) attached to exactly one queue.
public struct Gateway: Hashable, Sendable, Codable {
    public var id: GatewayID
    public var `protocol`: GatewayProtocol
    /// The account's user name as configured, e.g. `+15555551234` or `mylibrary@aol.com`.
    public var account: String
    public var queue: QueueName

    public init(id: GatewayID, protocol: GatewayProtocol, account: String, queue: QueueName) {
        self.id = id
        self.protocol = `protocol`
        self.account = account
        self.queue = queue
    }
}

/// A patron, known by the gateway they write to and their normalised address on it.
///
/// The same phone number texting two different library numbers is two patrons: each
/// gateway belongs to one queue, and the conversations must not mix.
public struct PatronID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var gatewayID: GatewayID
    /// Normalised for the gateway's protocol (E.164, folded screen name, bare JID).
    public var address: String

    public init(gatewayID: GatewayID, address: String) {
        self.gatewayID = gatewayID
        self.address = address
    }

    public var description: String { "\(address) via gateway \(gatewayID)" }

    public static func < (lhs: PatronID, rhs: PatronID) -> Bool {
        (lhs.gatewayID, lhs.address) < (rhs.gatewayID, rhs.address)
    }
}
