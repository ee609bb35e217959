/// Everything a bridge needs to run one gateway, as the router knows it.
///
/// The router owns gateway configuration; bridges hold none of their own. The descriptor travels in
/// `welcome` (all gateways of the bridge's protocol) and in `attachGateway` (one added or changed later),
/// so a gateway created through the admin API goes live without restarting the bridge.
public struct GatewayDescriptor: Sendable, Hashable {
    /// The router's stable id of the gateway; every later frame about it refers to this id.
    public var id: UInt64
    /// The outside protocol the gateway speaks (`"twilio"`, `"aim"`), matching `hello.protocol`.
    public var protocolName: String
    /// The librarian queue the gateway belongs to.
    public var queue: String
    /// The account on the outside network: a phone number, a screen name.
    public var username: String
    /// The account's credential (auth token, password). Never log it.
    public var secret: String
    /// The state the router wants: whether the gateway should be signed on now.
    public var online: Bool

    public init(id: UInt64, protocolName: String, queue: String, username: String, secret: String, online: Bool) {
        self.id = id
        self.protocolName = protocolName
        self.queue = queue
        self.username = username
        self.secret = secret
        self.online = online
    }
}

extension GatewayDescriptor: CustomStringConvertible {
    /// A log-safe description: the secret is left out on purpose.
    public var description: String {
        "gateway \(id) (\(protocolName), queue \(queue), user \(username), \(online ? "online" : "offline"))"
    }
}
