import BridgeProtocol

/// Hand-picked messages covering every frame type and the awkward values for each field.
enum SampleMessages {
    static let gateway = GatewayDescriptor(
        id: 42, protocolName: "aim", queue: "reference", username: "AskALibrarian", secret: "hunter2", online: true)

    static let emptyGateway = GatewayDescriptor(
        id: 0, protocolName: "", queue: "", username: "", secret: "", online: false)

    static let unicode = "Bücherei 图书馆 📚 e\u{301} \u{0} end"

    static let all: [BridgeMessage] = [
        .hello(version: 1, protocolName: "twilio", instance: "twilio-1"),
        .hello(version: 0, protocolName: "", instance: ""),
        .hello(version: .max, protocolName: unicode, instance: unicode),
        .welcome(version: 1, gateways: []),
        .welcome(
            version: 1,
            gateways: [
                gateway, emptyGateway,
                GatewayDescriptor(
                    id: .max, protocolName: "twilio", queue: unicode, username: "+15551234567", secret: "tok",
                    online: false),
            ]),
        .goodbye(.unsupportedVersion, reason: "the router speaks only version 1"),
        .goodbye(.unknownProtocol, reason: ""),
        .goodbye(.badFrame, reason: "frame length 0 is invalid"),
        .goodbye(.notAllowed, reason: "uid 1001 is not allowed"),
        .goodbye(.shuttingDown, reason: unicode),
        .goodbye(.handshakeTimeout, reason: "no hello within 5 s"),
        .goodbye(.protocolViolation, reason: "the first frame must be hello"),
        .goodbye(.other(0), reason: "code zero"),
        .goodbye(.other(8), reason: "a future code"),
        .goodbye(.other(.max), reason: "the largest code"),
        .ping(nonce: 0),
        .ping(nonce: .max),
        .pong(nonce: 0x0102_0304_0506_0708),
        .ack(ids: []),
        .ack(ids: [""]),
        .ack(ids: ["SM0123456789abcdef0123456789abcdef", unicode, "3F2504E0-4F89-11D3-9A0C-0305E82C3301"]),
        .attachGateway(gateway),
        .attachGateway(emptyGateway),
        .detachGateway(id: 0),
        .detachGateway(id: .max),
        .setGatewayOnline(id: 7, online: true),
        .setGatewayOnline(id: 7, online: false),
        .gatewayState(id: 1, state: .connecting, reason: ""),
        .gatewayState(id: 2, state: .online, reason: ""),
        .gatewayState(id: 3, state: .offline, reason: "queue closed"),
        .gatewayState(id: .max, state: .failed, reason: "login rate limited: " + unicode),
        .gatewayNotice(id: 1, from: "OOS System Msg", text: "You just received 2 IM(s) while you were offline."),
        .gatewayNotice(id: .max, from: "", text: unicode),
        .chatState(gatewayID: 1, peer: "patron", state: .active),
        .chatState(gatewayID: 2, peer: "+15551234567", state: .composing),
        .chatState(gatewayID: 3, peer: unicode, state: .paused),
        .chatState(gatewayID: 0, peer: "", state: .inactive),
        .chatState(gatewayID: .max, peer: "x", state: .gone),
        .sendMessage(OutboundMessage(id: "m-1", gatewayID: 42, to: "+15551234567", body: "Hello! How can I help?")),
        .sendMessage(OutboundMessage(id: "", gatewayID: 0, to: "", body: "")),
        .sendMessage(OutboundMessage(id: unicode, gatewayID: .max, to: unicode, body: unicode)),
        .messageReceived(InboundMessage(
            id: "SM1", gatewayID: 42, from: "+15557654321", body: "Do you have the 1911 census?",
            sentAt: 1_700_000_000_123, storedOffline: false, media: [])),
        .messageReceived(InboundMessage(
            id: "aim-9", gatewayID: 9, from: "patron99", body: unicode,
            sentAt: -1, storedOffline: true,
            media: [
                Media(url: "https://example.org/a.jpg", contentType: "image/jpeg"), Media(url: "", contentType: ""),
            ])),
        .messageReceived(InboundMessage(
            id: "", gatewayID: 0, from: "", body: "", sentAt: .min, storedOffline: false, media: [])),
        .messageReceived(InboundMessage(
            id: "x", gatewayID: 1, from: "y", body: "z", sentAt: .max, storedOffline: true, media: [])),
        .deliveryStatus(DeliveryReport(id: "d-1", messageID: "m-1", status: .sent, reason: "")),
        .deliveryStatus(DeliveryReport(id: "d-2", messageID: "m-1", status: .delivered, reason: "")),
        .deliveryStatus(DeliveryReport(id: "d-3", messageID: unicode, status: .failed, reason: "30006 landline")),
    ]

    /// A long, varied stream: every sample repeated with changing ids, in a seeded shuffle.
    static func stream(count: Int, seed: UInt64) -> [BridgeMessage] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            switch all[index % all.count] {
            case .sendMessage(var message):
                message.id = "m-\(index)"
                return .sendMessage(message)
            case .ping:
                return .ping(nonce: generator.next())
            case let other:
                return other
            }
        }.shuffled(using: &generator)
    }
}
