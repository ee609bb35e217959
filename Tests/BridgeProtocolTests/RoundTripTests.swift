import BridgeProtocol
import Testing

@Suite("Every message survives encode then decode unchanged")
struct RoundTripTests {
    @Test("the samples cover every frame type")
    func samplesCoverEveryFrameType() {
        let covered = Set(SampleMessages.all.map(\.frameType))
        #expect(covered == Set(BridgeFrameType.allCases))
    }

    @Test("a message decodes to itself, and its frame says its own length and type", arguments: SampleMessages.all)
    func roundTrip(_ message: BridgeMessage) throws {
        let frame = BridgeFrameEncoder.encode(message)
        let length = frame.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        #expect(length == frame.count - 4)
        #expect(frame[4] == message.frameType.rawValue)

        var decoder = BridgeFrameDecoder()
        decoder.append(frame)
        let decoded = try decoder.next()
        #expect(decoded == message)
        #expect(decoder.bufferedByteCount == 0)
        #expect(try decoder.next() == nil)
    }

    @Test("encoding into a buffer appends after what is already there")
    func encodeIntoAppends() throws {
        var buffer: [UInt8] = [0xAA, 0xBB]
        BridgeFrameEncoder.encode(.ping(nonce: 5), into: &buffer)
        #expect(buffer.prefix(2) == [0xAA, 0xBB])
        #expect(Array(buffer.dropFirst(2)) == BridgeFrameEncoder.encode(.ping(nonce: 5)))
    }

    @Test("a frame exactly as long as the maximum is accepted")
    func frameAtMaximumLength() throws {
        let empty = OutboundMessage(id: "big", gatewayID: 1, to: "+1", body: "")
        let overhead = BridgeFrameEncoder.encode(.sendMessage(empty)).count - 4
        let body = String(repeating: "é", count: (BridgeFrameLimits.maximumFrameLength - overhead) / 2)
            + String(repeating: "x", count: (BridgeFrameLimits.maximumFrameLength - overhead) % 2)
        let message = BridgeMessage.sendMessage(OutboundMessage(id: "big", gatewayID: 1, to: "+1", body: body))
        let frame = BridgeFrameEncoder.encode(message)
        #expect(frame.count - 4 == BridgeFrameLimits.maximumFrameLength)

        var decoder = BridgeFrameDecoder()
        decoder.append(frame)
        #expect(try decoder.next() == message)
    }

    @Test("large lists round-trip: a full in-flight window of acks, thousands of gateways")
    func largeLists() throws {
        let ids = (0..<512).map { "3F2504E0-4F89-11D3-9A0C-\(String($0, radix: 16))" }
        let gateways = (0..<2_000).map {
            GatewayDescriptor(
                id: UInt64($0), protocolName: "aim", queue: "queue-\($0 % 7)", username: "screenname\($0)",
                secret: "secret-\($0)", online: $0.isMultiple(of: 2))
        }
        let messages: [BridgeMessage] = [.ack(ids: ids), .welcome(version: 1, gateways: gateways)]
        let decoded = try decodeAll([encodeAll(messages)[...]])
        #expect(decoded.messages == messages)
        #expect(decoded.leftover == 0)
    }
}

@Suite("Message properties the transport relies on")
struct MessagePropertyTests {
    @Test("reliable frames expose their id; all others have none", arguments: SampleMessages.all)
    func reliableID(_ message: BridgeMessage) {
        switch message {
        case .sendMessage(let outbound):
            #expect(message.reliableID == outbound.id)
        case .messageReceived(let inbound):
            #expect(message.reliableID == inbound.id)
        case .deliveryStatus(let report):
            #expect(message.reliableID == report.id)
        default:
            #expect(message.reliableID == nil)
        }
        #expect(message.frameType.isReliable == (message.reliableID != nil))
    }

    @Test(
        "goodbye codes map to their documented numbers",
        arguments: [
            (GoodbyeCode.unsupportedVersion, UInt16(1)), (.unknownProtocol, 2), (.badFrame, 3), (.notAllowed, 4),
            (.shuttingDown, 5), (.handshakeTimeout, 6), (.protocolViolation, 7),
        ])
    func goodbyeCodeNumbers(code: GoodbyeCode, number: UInt16) {
        #expect(code.rawValue == number)
        #expect(GoodbyeCode(rawValue: number) == code)
    }

    @Test("unknown goodbye codes decode as .other, known numbers never do")
    func unknownGoodbyeCodes() throws {
        #expect(GoodbyeCode(rawValue: 0) == .other(0))
        #expect(GoodbyeCode(rawValue: 300) == .other(300))
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes("00000009 03 012c 00000002 6869"))
        #expect(try decoder.next() == .goodbye(.other(300), reason: "hi"))
        // `.other(3)` is the same code as `.badFrame` on the wire and decodes as the named case.
        decoder = BridgeFrameDecoder()
        decoder.append(BridgeFrameEncoder.encode(.goodbye(.other(3), reason: "")))
        #expect(try decoder.next() == .goodbye(.badFrame, reason: ""))
    }

    @Test("a gateway's description leaves the secret out of logs")
    func gatewayDescriptionHidesSecret() {
        #expect(!SampleMessages.gateway.description.contains(SampleMessages.gateway.secret))
        #expect(SampleMessages.gateway.description.contains("42"))
    }
}

@Suite("Protocol versions")
struct ProtocolVersionTests {
    @Test func `the version agreed is the highest both sides speak`() {
        #expect(BridgeProtocolVersion.agreed(offered: 1) == 1)
        #expect(BridgeProtocolVersion.agreed(offered: 2) == 2)
        #expect(BridgeProtocolVersion.agreed(offered: 9) == BridgeProtocolVersion.current)
        #expect(BridgeProtocolVersion.agreed(offered: 0) == nil)
    }

    @Test func `the frames of version 2 are marked as such, the rest as version 1`() {
        let newer = BridgeFrameType.allCases.filter { $0.introducedIn == 2 }
        #expect(Set(newer) == [.gatewayNotice, .chatState])
        #expect(BridgeFrameType.allCases.allSatisfy { $0.introducedIn <= BridgeProtocolVersion.current })
    }
}
