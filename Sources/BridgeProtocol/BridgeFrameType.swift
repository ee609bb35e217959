/// The type byte that follows a frame's length field; one per `BridgeMessage` case.
///
/// The values are grouped by purpose: `0x0_` connection control, `0x1_` gateway state and events, `0x2_` reliable
/// message traffic, `0x3_` passing conversation signals (typing). A type byte not listed here is a decoding error,
/// never skipped, because silently dropping a frame could drop a patron's message.
public enum BridgeFrameType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case welcome = 0x02
    case goodbye = 0x03
    case ping = 0x04
    case pong = 0x05
    case ack = 0x06
    case attachGateway = 0x10
    case detachGateway = 0x11
    case setGatewayOnline = 0x12
    case gatewayState = 0x13
    case gatewayNotice = 0x14
    case sendMessage = 0x20
    case messageReceived = 0x21
    case deliveryStatus = 0x22
    case chatState = 0x30

    /// The frame's name as the protocol document spells it, for log lines and error reasons.
    public var name: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .goodbye: "goodbye"
        case .ping: "ping"
        case .pong: "pong"
        case .ack: "ack"
        case .attachGateway: "attachGateway"
        case .detachGateway: "detachGateway"
        case .setGatewayOnline: "setGatewayOnline"
        case .gatewayState: "gatewayState"
        case .gatewayNotice: "gatewayNotice"
        case .sendMessage: "sendMessage"
        case .messageReceived: "messageReceived"
        case .deliveryStatus: "deliveryStatus"
        case .chatState: "chatState"
        }
    }

    /// The protocol version that defined this frame type. A frame may travel only on a connection whose agreed
    /// version is at least this: a peer of an older version would reject it as unknown.
    public var introducedIn: UInt16 {
        switch self {
        case .gatewayNotice, .chatState: 2
        default: 1
        }
    }

    /// Whether frames of this type carry an id, are kept until acked and are resent after a reconnect.
    public var isReliable: Bool {
        switch self {
        case .sendMessage, .messageReceived, .deliveryStatus: true
        default: false
        }
    }
}
