/// The body layout of every frame type, mirrored field by field from `BridgeFrameEncoder`.
extension FrameBodyReader {
    /// Smallest encodings, used to reject list counts that cannot fit before allocating.
    private static let minimumStringSize = 4
    private static let minimumMediaSize = 2 * minimumStringSize
    private static let minimumGatewaySize = 8 + 4 * minimumStringSize + 1

    mutating func readMessage(of type: BridgeFrameType) throws(BridgeProtocolError) -> BridgeMessage {
        switch type {
        case .hello:
            return .hello(
                version: try readU16("version"),
                protocolName: try readString("protocol"),
                instance: try readString("instance"))
        case .welcome:
            return .welcome(
                version: try readU16("version"),
                gateways: try readList("gateways", minimumItemSize: Self.minimumGatewaySize) {
                    (reader: inout FrameBodyReader) throws(BridgeProtocolError) in try reader.readGateway()
                })
        case .goodbye:
            return .goodbye(GoodbyeCode(rawValue: try readU16("code")), reason: try readString("reason"))
        case .ping:
            return .ping(nonce: try readU64("nonce"))
        case .pong:
            return .pong(nonce: try readU64("nonce"))
        case .ack:
            return .ack(
                ids: try readList("ids", minimumItemSize: Self.minimumStringSize) {
                    (reader: inout FrameBodyReader) throws(BridgeProtocolError) in try reader.readString("")
                })
        case .attachGateway:
            return .attachGateway(try readGateway())
        case .detachGateway:
            return .detachGateway(id: try readU64("gatewayID"))
        case .setGatewayOnline:
            return .setGatewayOnline(id: try readU64("gatewayID"), online: try readBool("online"))
        case .gatewayState:
            let id = try readU64("gatewayID")
            let rawState = try readU8("state")
            guard let state = GatewayState(rawValue: rawState) else {
                throw error(
                    "state", "unknown gateway state \(rawState) (known: 0 connecting, 1 online, 2 offline, 3 failed)")
            }
            return .gatewayState(id: id, state: state, reason: try readString("reason"))
        case .gatewayNotice:
            return .gatewayNotice(id: try readU64("gatewayID"), from: try readString("from"), text: try readString("text"))
        case .chatState:
            let gatewayID = try readU64("gatewayID")
            let peer = try readString("peer")
            let rawState = try readU8("state")
            guard let state = ChatState(rawValue: rawState) else {
                throw error(
                    "state", "unknown chat state \(rawState) (known: 0 active, 1 composing, 2 paused, 3 inactive, 4 gone)")
            }
            return .chatState(gatewayID: gatewayID, peer: peer, state: state)
        case .sendMessage:
            return .sendMessage(
                OutboundMessage(
                    id: try readString("id"),
                    gatewayID: try readU64("gatewayID"),
                    to: try readString("to"),
                    body: try readString("body")))
        case .messageReceived:
            return .messageReceived(
                InboundMessage(
                    id: try readString("id"),
                    gatewayID: try readU64("gatewayID"),
                    from: try readString("from"),
                    body: try readString("body"),
                    sentAt: try readI64("sentAt"),
                    storedOffline: try readBool("storedOffline"),
                    media: try readList("media", minimumItemSize: Self.minimumMediaSize) {
                        (reader: inout FrameBodyReader) throws(BridgeProtocolError) in try reader.readMedia()
                    }))
        case .deliveryStatus:
            let id = try readString("id")
            let messageID = try readString("messageID")
            let rawStatus = try readU8("status")
            guard let status = DeliveryStatus(rawValue: rawStatus) else {
                throw error("status", "unknown delivery status \(rawStatus) (known: 0 sent, 1 delivered, 2 failed)")
            }
            return .deliveryStatus(
                DeliveryReport(id: id, messageID: messageID, status: status, reason: try readString("reason")))
        }
    }

    private mutating func readGateway() throws(BridgeProtocolError) -> GatewayDescriptor {
        GatewayDescriptor(
            id: try readU64("id"),
            protocolName: try readString("protocol"),
            queue: try readString("queue"),
            username: try readString("username"),
            secret: try readString("secret"),
            online: try readBool("online"))
    }

    private mutating func readMedia() throws(BridgeProtocolError) -> Media {
        Media(url: try readString("url"), contentType: try readString("contentType"))
    }
}
