import OSCAR
import Testing

@Suite("ICBM messages")
struct ICBMTests {
    @Test func `an ASCII message is capabilities then a charset 0 text fragment`() throws {
        let message = ICBMSendMessage(
            cookie: 0x0102_0304_0506_0708, recipient: "bob", body: ICBMMessageBody(text: "hi"),
            requestServerAck: false, storeIfOffline: false
        )
        let expected = bytes("01 02 03 04 05 06 07 08  00 01  03 62 6F 62")
            + bytes("00 02 00 11  05 01 00 03 01 01 02  01 01 00 06 00 00 00 00 68 69")
        #expect(try message.encodedBody() == expected)
    }

    @Test func `ack and store-offline requests add empty TLVs 0x03 and 0x06`() throws {
        let message = ICBMSendMessage(cookie: 1, recipient: "bob", body: ICBMMessageBody(text: "hi"))
        let body = try message.encodedBody()
        #expect(body.suffix(8) == bytes("00 03 00 00 00 06 00 00")[...])
        #expect(try ICBMSendMessage(snacData: body) == message)
    }

    @Test func `non-ASCII text is sent as UCS-2BE`() throws {
        let body = ICBMMessageBody(text: "é€")
        #expect(body.texts == [ICBMText(charset: .ucs2BigEndian, bytes: bytes("00 E9 20 AC"))])
        #expect(body.text == "é€")
    }

    @Test func `a recipient name longer than 255 bytes cannot be encoded`() {
        let message = ICBMSendMessage(cookie: 1, recipient: String(repeating: "a", count: 256), body: ICBMMessageBody(text: "x"))
        #expect(throws: OSCAREncodingError.fieldTooLong(field: "ICBM recipient", length: 256, maximum: 255)) {
            try message.encodedBody()
        }
    }

    /// An HTML IM from "Alice" stored offline, written out by hand.
    static let offlineIncoming = bytes("00 00 00 00 00 00 00 2A  00 01  05") + ascii("Alice")
        + bytes("00 00  00 01  00 01 00 02 00 10")
        + bytes("00 02 00 29  05 01 00 01 01  01 01 00 20 00 00 00 00") + ascii("<HTML><BODY>hi</BODY></HTML>")
        + bytes("00 16 00 04 65 00 00 00")

    @Test func `an incoming IM gives the sender, text and offline send time`() throws {
        let message = try ICBMIncomingMessage(snacData: Self.offlineIncoming)
        #expect(message.cookie == 42)
        #expect(message.channel == 1)
        #expect(message.sender.screenName == "Alice")
        #expect(message.sender.userClass == 0x0010)
        #expect(try message.body()?.text == "<HTML><BODY>hi</BODY></HTML>")
        #expect(message.offlineSentAt == 0x6500_0000)
        #expect(try message.encodedBody() == Self.offlineIncoming)
    }

    @Test func `an incoming IM built from parts round-trips`() throws {
        let message = try ICBMIncomingMessage(
            cookie: 7, sender: UserInfo(screenName: "bob", warningLevel: 3), body: ICBMMessageBody(text: "yo"), offlineSentAt: 99
        )
        let decoded = try ICBMIncomingMessage(snacData: message.encodedBody())
        #expect(decoded == message)
        #expect(decoded.offlineSentAt == 99)
    }

    @Test func `an incoming IM on a channel other than 1 has no text body`() throws {
        var data = Self.offlineIncoming
        data[9] = 0x02
        #expect(try ICBMIncomingMessage(snacData: data).body() == nil)
    }

    /// Where the user-info block and the message-data TLV end; cutting there leaves a
    /// well-formed but shorter message.
    static let tlvBoundaries = [26, 71]

    @Test(arguments: (1..<79).filter { !tlvBoundaries.contains($0) })
    func `an incoming IM cut short inside a field is rejected`(length: Int) {
        #expect(throws: OSCARDecodingError.self) {
            try ICBMIncomingMessage(snacData: Array(Self.offlineIncoming.prefix(length))).body()
        }
    }

    @Test func `an incoming IM cut at a TLV boundary loses only the later TLVs`() throws {
        let withoutText = try ICBMIncomingMessage(snacData: Array(Self.offlineIncoming.prefix(26)))
        #expect(try withoutText.body() == nil)
        let withoutTime = try ICBMIncomingMessage(snacData: Array(Self.offlineIncoming.prefix(71)))
        #expect(try withoutTime.body()?.text == "<HTML><BODY>hi</BODY></HTML>")
        #expect(withoutTime.offlineSentAt == nil)
    }

    @Test func `the server ack names the cookie and recipient`() throws {
        let body = bytes("00 00 00 00 00 00 00 2A  00 01  03 62 6F 62")
        #expect(try ICBMServerAck(snacData: body) == ICBMServerAck(cookie: 42, screenName: "bob"))
    }

    @Test func `ICBM parameters are a fixed 16-byte record`() throws {
        let body = try ICBMParameters.standard.encodedBody()
        #expect(body == bytes("00 00  00 00 00 0B  1F 40  03 E7  03 E7  00 00 00 00"))
        #expect(try ICBMParameters(snacData: body) == .standard)
    }

    @Test func `buddy add lists u8-length screen names`() throws {
        #expect(try BuddyAdd(screenNames: ["ab", "c"]).encodedBody() == bytes("02 61 62 01 63"))
    }

    @Test func `arrival and departure notices carry user-info blocks`() throws {
        let body = bytes("03 62 6F 62 00 00 00 00  05") + ascii("Alice") + bytes("00 0A 00 01 00 04 00 02 00 05")
        let arrived = try BuddyArrived(snacData: body)
        #expect(arrived.users.map(\.screenName) == ["bob", "Alice"])
        #expect(arrived.users[1].idleMinutes == 5)
        #expect(try BuddyDeparted(snacData: body).users.count == 2)
    }

    @Test func `offline retrieval messages have no body`() throws {
        #expect(try SNAC(decoding: bytes("00 04 00 17 00 00 80 00 00 00")).decode(as: OfflineMessagesDone.self) == OfflineMessagesDone())
    }
}
