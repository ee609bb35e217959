/// One frame of the bridge protocol between the router and a bridge, decoded.
///
/// Both ends share this single type so that the codec, the transport and the tests speak the same
/// vocabulary; which side may send which case is a protocol rule (see docs/bridge-protocol.md), enforced
/// by the transport, not by the codec.
public enum BridgeMessage: Sendable, Hashable {
    /// Bridge → router, first frame: the highest version the bridge speaks, the outside protocol it
    /// serves and a free-form instance name for logs.
    case hello(version: UInt16, protocolName: String, instance: String)
    /// Router → bridge, answer to hello: the version in use and every gateway of the bridge's protocol,
    /// with its desired online state.
    case welcome(version: UInt16, gateways: [GatewayDescriptor])
    /// Either way: the sender is about to close the connection, and why.
    case goodbye(GoodbyeCode, reason: String)
    /// Either way: sent after 10 s of silence; the peer answers `pong` with the same nonce.
    case ping(nonce: UInt64)
    /// Either way: the answer to `ping`.
    case pong(nonce: UInt64)
    /// Either way: the receiver has made the reliable frames with these ids durable.
    case ack(ids: [String])
    /// Router → bridge: start serving this gateway, or replace its settings.
    case attachGateway(GatewayDescriptor)
    /// Router → bridge: stop serving this gateway and forget it.
    case detachGateway(id: UInt64)
    /// Router → bridge: sign this gateway on or off.
    case setGatewayOnline(id: UInt64, online: Bool)
    /// Bridge → router: the gateway's latest connection state.
    case gatewayState(id: UInt64, state: GatewayState, reason: String)
    /// Bridge → router (version 2): something the outside network said about the gateway itself rather than from
    /// a patron, such as an AIM server's "you received 2 IMs while you were offline"; for logs and people.
    case gatewayNotice(id: UInt64, from: String, text: String)
    /// Either way (version 2): whether a party to a conversation is typing. From a bridge, `peer` is the patron
    /// typing; from the router, the patron to tell that the librarian is. Not reliable: a lost one only
    /// leaves a typing indicator stale until the next.
    case chatState(gatewayID: UInt64, peer: String, state: ChatState)
    /// Router → bridge, reliable: send a message to a patron.
    case sendMessage(OutboundMessage)
    /// Bridge → router, reliable: a patron sent a message.
    case messageReceived(InboundMessage)
    /// Bridge → router, reliable: what became of an outbound message.
    case deliveryStatus(DeliveryReport)

    /// The id of a reliable frame (sendMessage, messageReceived, deliveryStatus), nil for the others.
    ///
    /// The transport keys its outbox, in-flight window and duplicate detection on this id.
    public var reliableID: String? {
        switch self {
        case .sendMessage(let message): message.id
        case .messageReceived(let message): message.id
        case .deliveryStatus(let report): report.id
        default: nil
        }
    }

    /// The frame type this message is encoded as.
    public var frameType: BridgeFrameType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .goodbye: .goodbye
        case .ping: .ping
        case .pong: .pong
        case .ack: .ack
        case .attachGateway: .attachGateway
        case .detachGateway: .detachGateway
        case .setGatewayOnline: .setGatewayOnline
        case .gatewayState: .gatewayState
        case .gatewayNotice: .gatewayNotice
        case .chatState: .chatState
        case .sendMessage: .sendMessage
        case .messageReceived: .messageReceived
        case .deliveryStatus: .deliveryStatus
        }
    }
}
