import BridgeProtocol
import Testing

/// A bad frame must be rejected, never guessed at, with a reason precise enough to debug from a log line.
@Suite("Bad frames are rejected with a clear reason")
struct RejectionTests {
    struct BadFrame: Sendable, CustomTestStringConvertible {
        let defect: String
        let hex: String
        let reason: String
        var testDescription: String { defect }
    }

    static let badFrames: [BadFrame] = [
        BadFrame(
            defect: "zero length", hex: "00000000",
            reason: "frame length 0 is invalid: a frame holds at least its type byte"),
        BadFrame(
            defect: "unknown frame type", hex: "00000001 7f",
            reason: "unknown frame type 0x7f (frame length 1)"),
        BadFrame(
            defect: "type 0x00", hex: "00000009 00 0000000000000000",
            reason: "unknown frame type 0x00 (frame length 9)"),
        BadFrame(
            defect: "bool other than 0 or 1", hex: "0000000a 12 0000000000000001 02",
            reason: "setGatewayOnline.online: bool must be 0 or 1, got 2"),
        BadFrame(
            defect: "invalid UTF-8", hex: "0000000c 01 0001 00000002 c328 00000000",
            reason: "hello.protocol: string of 2 bytes is not valid UTF-8"),
        BadFrame(
            defect: "UTF-8 surrogate", hex: "0000000a 03 0003 00000003 eda080",
            reason: "goodbye.reason: string of 3 bytes is not valid UTF-8"),
        BadFrame(
            defect: "string length past the body", hex: "0000000c 01 0001 00000010 61 00000000",
            reason: "hello.protocol: string length 16 exceeds the 5 bytes left in the body"),
        BadFrame(
            defect: "list count past the body", hex: "00000009 06 ffffffff 00000000",
            reason: "ack.ids: list count 4294967295 exceeds what the 4 bytes left in the body can hold"
                + " (each item takes at least 4 bytes)"),
        BadFrame(
            defect: "list count past the body, nested items", hex: "00000007 02 0001 00000001",
            reason: "welcome.gateways: list count 1 exceeds what the 0 bytes left in the body can hold"
                + " (each item takes at least 25 bytes)"),
        BadFrame(
            defect: "trailing bytes", hex: "0000000b 04 0000000000000001 0000",
            reason: "ping: 2 trailing bytes after the last field"),
        BadFrame(
            defect: "body too short for its fields", hex: "00000005 04 00000000",
            reason: "ping.nonce: needs 8 bytes but only 4 remain in the body"),
        BadFrame(
            defect: "empty body", hex: "00000001 11",
            reason: "detachGateway.gatewayID: needs 8 bytes but only 0 remain in the body"),
        BadFrame(
            defect: "unknown gateway state", hex: "0000000e 13 0000000000000001 04 00000000",
            reason: "gatewayState.state: unknown gateway state 4 (known: 0 connecting, 1 online, 2 offline, 3 failed)"),
        BadFrame(
            defect: "unknown chat state", hex: "0000000e 30 0000000000000001 00000000 05",
            reason: "chatState.state: unknown chat state 5 (known: 0 active, 1 composing, 2 paused, 3 inactive, 4 gone)"),
        BadFrame(
            defect: "notice cut short", hex: "0000000d 14 0000000000000001 00000000",
            reason: "gatewayNotice.text: needs 4 bytes but only 0 remain in the body"),
        BadFrame(
            defect: "unknown delivery status", hex: "00000010 22 00000001 64 00000001 6d 03 00000000",
            reason: "deliveryStatus.status: unknown delivery status 3 (known: 0 sent, 1 delivered, 2 failed)"),
        BadFrame(
            defect: "bad field inside a gateway",
            hex: "0000001a 10 0000000000000001 00000000 00000000 00000000 00000000 07",
            reason: "attachGateway.online: bool must be 0 or 1, got 7"),
        BadFrame(
            defect: "bad string inside a list",
            hex: "00000011 06 00000002 00000001 61 00000003 ff6263",
            reason: "ack.ids[1]: string of 3 bytes is not valid UTF-8"),
        BadFrame(
            defect: "bad field of a gateway in welcome",
            hex: "00000020 02 0001 00000001 0000000000000009 00000000 00000000 00000000 00000000 05",
            reason: "welcome.gateways[0].online: bool must be 0 or 1, got 5"),
    ]

    @Test("each defect is rejected with its reason", arguments: badFrames)
    func rejects(_ bad: BadFrame) {
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes(bad.hex))
        #expect(throws: BridgeProtocolError(reason: bad.reason)) {
            try decoder.next()
        }
    }

    @Test("an oversize length is rejected as soon as the 4 header bytes arrive")
    func oversizeLengthRejectedFromHeaderAlone() {
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes("001e8480"))  // 2_000_000
        #expect(decoder.bufferedByteCount == 4)
        #expect(throws: BridgeProtocolError(reason: "frame length 2000000 exceeds the maximum 1048576")) {
            try decoder.next()
        }
    }

    @Test("the limit is exact: maximum + 1 is rejected, a custom maximum applies")
    func limitIsExact() throws {
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes("00100001"))
        #expect(throws: BridgeProtocolError(reason: "frame length 1048577 exceeds the maximum 1048576")) {
            try decoder.next()
        }

        var small = BridgeFrameDecoder(maximumFrameLength: 9)
        small.append(BridgeFrameEncoder.encode(.ping(nonce: 3)))
        #expect(try small.next() == .ping(nonce: 3))
        small.append(BridgeFrameEncoder.encode(.setGatewayOnline(id: 3, online: true)))
        #expect(throws: BridgeProtocolError(reason: "frame length 10 exceeds the maximum 9")) {
            try small.next()
        }
    }

    @Test("an unknown type is rejected before the rest of its frame arrives")
    func unknownTypeRejectedEarly() {
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes("00000400 99"))
        #expect(throws: BridgeProtocolError(reason: "unknown frame type 0x99 (frame length 1024)")) {
            try decoder.next()
        }
    }

    @Test("after a bad frame the decoder keeps failing, even if good frames follow")
    func poisonedAfterFailure() {
        var decoder = BridgeFrameDecoder()
        decoder.append(hexBytes("00000000"))
        decoder.append(BridgeFrameEncoder.encode(.ping(nonce: 1)))
        let expected = BridgeProtocolError(reason: "frame length 0 is invalid: a frame holds at least its type byte")
        #expect(throws: expected) { try decoder.next() }
        #expect(throws: expected) { try decoder.next() }
        #expect(throws: expected) { try decoder.checkEndOfStream() }
    }

    @Test("good frames before a bad one are still delivered")
    func goodFramesBeforeBadOne() throws {
        var decoder = BridgeFrameDecoder()
        decoder.append(BridgeFrameEncoder.encode(.ping(nonce: 1)))
        decoder.append(hexBytes("00000001 7f"))
        #expect(try decoder.next() == .ping(nonce: 1))
        #expect(throws: BridgeProtocolError.self) { try decoder.next() }
    }

    @Test("the error's description is its reason, ready for a goodbye frame")
    func descriptionIsReason() {
        let error = BridgeProtocolError(reason: "frame length 0 is invalid")
        #expect(error.description == "frame length 0 is invalid")
        #expect("\(error)" == "frame length 0 is invalid")
    }
}
