import OSCAR
import Testing

@Suite("OService sign-on messages")
struct OServiceTests {
    @Test func `host online lists u16 families`() throws {
        #expect(try HostOnline(snacData: bytes("00 01 00 02 00 03 00 04 00 09")).families == [1, 2, 3, 4, 9])
        #expect(throws: OSCARDecodingError.invalidValue(field: "host online family list", reason: "odd length 3")) {
            try HostOnline(snacData: bytes("00 01 00"))
        }
    }

    @Test func `client versions encode family and version pairs`() throws {
        let body = try ClientVersions.instantMessaging.encodedBody()
        #expect(body == bytes("00 01 00 03  00 02 00 01  00 03 00 01  00 04 00 01  00 09 00 01"))
        #expect(try HostVersions(snacData: body).versions == ClientVersions.instantMessaging.versions)
    }

    /// One IM-sized class (id 1) and one slow class (id 2), as a revival server sends them.
    static let rateReplyBody = bytes("""
        00 02
        00 01  00 00 00 14  00 00 13 EC  00 00 13 88  00 00 0F A0  00 00 0B B8  00 00 17 70  00 00 17 70  00 00 00 00  00
        00 02  00 00 00 0A  00 00 0B B8  00 00 09 C4  00 00 07 D0  00 00 03 E8  00 00 0F A0  00 00 0F A0  00 00 00 64  01
        00 01  00 02  00 04 00 06  00 04 00 08
        00 02  00 01  00 01 00 0E
        """)

    @Test func `rate classes parse every level`() throws {
        let reply = try RateParametersReply(snacData: Self.rateReplyBody)
        #expect(reply.classes.count == 2)
        let im = reply.classes[0]
        #expect(im == RateClass(
            id: 1, windowSize: 20, clearLevel: 5100, alertLevel: 5000, limitLevel: 4000,
            disconnectLevel: 3000, currentLevel: 6000, maxLevel: 6000
        ))
        #expect(reply.classes[1].lastTime == 100)
        #expect(reply.classes[1].currentState == 1)
        #expect(reply.groups == [
            RateGroup(classID: 1, members: [SNACKind(family: 4, subtype: 6), SNACKind(family: 4, subtype: 8)]),
            RateGroup(classID: 2, members: [SNACKind(family: 1, subtype: 0x0E)]),
        ])
        #expect(reply.rateClass(for: SNACKind(family: 4, subtype: 6))?.id == 1)
        #expect(reply.rateClass(for: SNACKind(family: 9, subtype: 9)) == nil)
        #expect(try reply.encodedBody() == Self.rateReplyBody)
    }

    @Test func `a rate class cut short is rejected`() {
        #expect(throws: OSCARDecodingError.truncated(field: "rate class clear level", needed: 4, available: 2)) {
            try RateParametersReply(snacData: bytes("00 01  00 01  00 00 00 14  00 00"))
        }
    }

    @Test func `the rate acknowledgement lists the class ids`() throws {
        #expect(try RateParametersAck(classIDs: [1, 2, 3]).encodedBody() == bytes("00 01 00 02 00 03"))
    }

    @Test func `client ready sends family, version, tool id and tool version for each family`() throws {
        let ready = ClientReady(families: [FamilyToolVersion(family: 1, version: 3, toolID: 0x0110, toolVersion: 0x08E5)])
        #expect(try SNAC(ready, requestID: 9).encoded() == bytes("00 01 00 02 00 00 00 00 00 09  00 01 00 03 01 10 08 E5"))
        #expect(try ClientReady(snacData: ClientReady.instantMessaging.encodedBody()) == ClientReady.instantMessaging)
    }

    @Test func `own info carries the server's spelling of the screen name`() throws {
        let body = bytes("08") + ascii("Ref Desk") + bytes("00 00  00 01  00 01 00 02 00 10")
        let info = try OwnInfoReply(snacData: body).userInfo
        #expect(info.screenName == "Ref Desk")
        #expect(info.userClass == 0x0010)
        #expect(try OwnInfoReply(userInfo: info).encodedBody() == body)
    }

    @Test(arguments: [
        (SNACKind(family: 0x02, subtype: 0x02), try SNAC(LocateRightsRequest(), requestID: 1)),
        (SNACKind(family: 0x03, subtype: 0x02), try SNAC(BuddyRightsRequest(), requestID: 1)),
        (SNACKind(family: 0x04, subtype: 0x04), try SNAC(ICBMParametersRequest(), requestID: 1)),
        (SNACKind(family: 0x09, subtype: 0x02), try SNAC(PermitDenyRightsRequest(), requestID: 1)),
        (SNACKind(family: 0x01, subtype: 0x0E), try SNAC(OwnInfoRequest(), requestID: 1)),
        (SNACKind(family: 0x01, subtype: 0x06), try SNAC(RateParametersRequest(), requestID: 1)),
        (SNACKind(family: 0x04, subtype: 0x10), try SNAC(OfflineMessagesRequest(), requestID: 1)),
    ])
    func `requests without a body are just the SNAC header`(kind: SNACKind, snac: SNAC) {
        var expected: [UInt8] = [UInt8(kind.family >> 8), UInt8(kind.family & 0xFF), UInt8(kind.subtype >> 8), UInt8(kind.subtype & 0xFF)]
        expected += bytes("00 00 00 00 00 01")
        #expect(snac.encoded() == expected)
    }

    @Test func `the profile is sent with its MIME type`() throws {
        let body = try LocateSetInfo(profile: "hi").encodedBody()
        let mime = ascii(LocateSetInfo.mimeType)
        #expect(body == bytes("00 01 00 \(String(mime.count, radix: 16))") + mime + bytes("00 02 00 02 68 69"))
    }

    @Test func `the message of the day is read and its type kept`() throws {
        #expect(try MessageOfTheDay(snacData: bytes("00 04  00 0B 00 01 41")).kind == 4)
    }
}
