import BridgeProtocol
import Testing

/// The wire format is a contract between separately built processes: these frames are written out
/// by hand from docs/bridge-protocol.md, not produced by the encoder under test.
@Suite("Frames match the documented bytes exactly")
struct ByteExactEncodingTests {
    static let examples: [(message: BridgeMessage, hex: String)] = [
        // The hello example of the protocol document.
        (
            .hello(version: 1, protocolName: "aim", instance: "aim-1"),
            """
            00000013 01
            0001
            00000003 61696d
            00000005 61696d2d31
            """
        ),
        // The ack example of the protocol document.
        (
            .ack(ids: ["SM1", "a"]),
            """
            00000011 06
            00000002
            00000003 534d31
            00000001 61
            """
        ),
        (
            .sendMessage(OutboundMessage(id: "m1", gatewayID: 7, to: "+1555", body: "hé")),
            """
            0000001f 20
            00000002 6d31
            0000000000000007
            00000005 2b31353535
            00000003 68c3a9
            """
        ),
        (.ping(nonce: 0x0102_0304_0506_0708), "00000009 04 0102030405060708"),
        (.setGatewayOnline(id: 1, online: true), "0000000a 12 0000000000000001 01"),
        (.gatewayState(id: 2, state: .failed, reason: ""), "0000000e 13 0000000000000002 03 00000000"),
        (
            .messageReceived(
                InboundMessage(
                    id: "i", gatewayID: 3, from: "f", body: "b", sentAt: -2, storedOffline: true,
                    media: [Media(url: "u", contentType: "t")])),
            """
            0000002f 21
            00000001 69
            0000000000000003
            00000001 66
            00000001 62
            fffffffffffffffe
            01
            00000001 00000001 75 00000001 74
            """
        ),
        (
            .deliveryStatus(DeliveryReport(id: "d", messageID: "m", status: .delivered, reason: "")),
            "00000010 22 00000001 64 00000001 6d 01 00000000"
        ),
        // The chatState example of the protocol document (version 2).
        (
            .chatState(gatewayID: 7, peer: "patron", state: .composing),
            """
            00000014 30
            0000000000000007
            00000006 706174726f6e
            01
            """
        ),
        (
            .gatewayNotice(id: 7, from: "OOS System Msg", text: "hi"),
            """
            00000021 14
            0000000000000007
            0000000e 4f4f532053797374656d204d7367
            00000002 6869
            """
        ),
    ]

    @Test("encoding gives the hand-written bytes", arguments: examples)
    func encodesToDocumentedBytes(message: BridgeMessage, hex: String) {
        let expected = hexBytes(hex)
        let actual = BridgeFrameEncoder.encode(message)
        #expect(actual == expected, "got \(hexString(actual))")
    }

    @Test("decoding the hand-written bytes gives the message", arguments: examples)
    func decodesFromDocumentedBytes(message: BridgeMessage, hex: String) throws {
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes(hex))
        #expect(try decoder.next() == message)
        #expect(decoder.bufferedByteCount == 0)
    }
}
