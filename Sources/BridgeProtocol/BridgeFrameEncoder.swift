/// Turns messages into frames: `length:u32be type:u8 body`.
///
/// Encoding cannot fail: every `BridgeMessage` value has exactly one encoding. It does not enforce the
/// maximum frame length, because only the receiver's limit matters; a sender that builds messages from
/// unbounded input (a very long patron message) must cap that input itself, or the peer will reject
/// the frame and close the connection.
public enum BridgeFrameEncoder {
    /// Encodes one message as a complete frame.
    public static func encode(_ message: BridgeMessage) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        encode(message, into: &buffer)
        return buffer
    }

    /// Appends one complete frame to `buffer`, so a batch of frames can share one buffer and one write.
    public static func encode(_ message: BridgeMessage, into buffer: inout [UInt8]) {
        let lengthFieldStart = buffer.count
        buffer.appendU32(0)  // patched below, once the body's size is known
        buffer.appendU8(message.frameType.rawValue)
        appendBody(of: message, to: &buffer)

        let length = UInt32(buffer.count - lengthFieldStart - BridgeFrameLimits.lengthFieldSize)
        buffer[lengthFieldStart] = UInt8(truncatingIfNeeded: length &>> 24)
        buffer[lengthFieldStart + 1] = UInt8(truncatingIfNeeded: length &>> 16)
        buffer[lengthFieldStart + 2] = UInt8(truncatingIfNeeded: length &>> 8)
        buffer[lengthFieldStart + 3] = UInt8(truncatingIfNeeded: length)
    }

    private static func appendBody(of message: BridgeMessage, to buffer: inout [UInt8]) {
        switch message {
        case .hello(let version, let protocolName, let instance):
            buffer.appendU16(version)
            buffer.appendString(protocolName)
            buffer.appendString(instance)
        case .welcome(let version, let gateways):
            buffer.appendU16(version)
            buffer.appendList(gateways) { $0.appendGateway($1) }
        case .goodbye(let code, let reason):
            buffer.appendU16(code.rawValue)
            buffer.appendString(reason)
        case .ping(let nonce), .pong(let nonce):
            buffer.appendU64(nonce)
        case .ack(let ids):
            buffer.appendList(ids) { $0.appendString($1) }
        case .attachGateway(let gateway):
            buffer.appendGateway(gateway)
        case .detachGateway(let id):
            buffer.appendU64(id)
        case .setGatewayOnline(let id, let online):
            buffer.appendU64(id)
            buffer.appendBool(online)
        case .gatewayState(let id, let state, let reason):
            buffer.appendU64(id)
            buffer.appendU8(state.rawValue)
            buffer.appendString(reason)
        case .gatewayNotice(let id, let from, let text):
            buffer.appendU64(id)
            buffer.appendString(from)
            buffer.appendString(text)
        case .chatState(let gatewayID, let peer, let state):
            buffer.appendU64(gatewayID)
            buffer.appendString(peer)
            buffer.appendU8(state.rawValue)
        case .sendMessage(let message):
            buffer.appendString(message.id)
            buffer.appendU64(message.gatewayID)
            buffer.appendString(message.to)
            buffer.appendString(message.body)
        case .messageReceived(let message):
            buffer.appendString(message.id)
            buffer.appendU64(message.gatewayID)
            buffer.appendString(message.from)
            buffer.appendString(message.body)
            buffer.appendI64(message.sentAt)
            buffer.appendBool(message.storedOffline)
            buffer.appendList(message.media) { $0.appendMedia($1) }
        case .deliveryStatus(let report):
            buffer.appendString(report.id)
            buffer.appendString(report.messageID)
            buffer.appendU8(report.status.rawValue)
            buffer.appendString(report.reason)
        }
    }
}
