import OSCAR
import Testing

@Suite("Message text")
struct TextTests {
    @Test(arguments: [
        (MessageCharset.ascii, bytes("68 69"), "hi"),
        (.iso8859_1, bytes("63 61 66 E9"), "café"),
        (.ucs2BigEndian, bytes("00 63 00 61 00 66 00 E9 20 AC"), "café€"),
        (.ucs2BigEndian, bytes("D8 3D DE 00"), "😀"),
        (.ascii, bytes("E9"), "é"),
    ])
    func `text fragments decode from each charset`(charset: MessageCharset, encoded: [UInt8], text: String) {
        #expect(MessageTextCoding.decode(encoded, charset: charset) == text)
    }

    @Test func `an odd trailing UCS-2 byte is dropped, not crashed on`() {
        #expect(MessageTextCoding.decode(bytes("00 68 00"), charset: .ucs2BigEndian) == "h")
    }

    @Test func `encoding chooses ASCII when it can and UCS-2BE otherwise`() {
        #expect(MessageTextCoding.encode("plain") == (.ascii, ascii("plain")))
        let encoded = MessageTextCoding.encode("naïve")
        #expect(encoded.charset == .ucs2BigEndian)
        #expect(encoded.bytes == bytes("00 6E 00 61 00 EF 00 76 00 65"))
    }
}

@Suite("Screen names")
struct ScreenNameTests {
    @Test func `names compare ignoring case and spaces`() {
        #expect(ScreenName("Ref Desk") == ScreenName("refdesk"))
        #expect(ScreenName("REF DESK 2") != ScreenName("refdesk"))
        #expect(Set([ScreenName("A B"), ScreenName("ab"), ScreenName("aB ")]).count == 1)
    }

    @Test func `the display form is kept`() {
        let name = ScreenName("Ref Desk")
        #expect(name.displayName == "Ref Desk")
        #expect(name.normalized == "refdesk")
        #expect(ScreenName.normalize(" Mixed Case Name ") == "mixedcasename")
    }
}
