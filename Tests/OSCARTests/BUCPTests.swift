import OSCAR
import Testing

@Suite("BUCP login")
struct BUCPTests {
    @Test func `md5 of the empty string is the published vector`() throws {
        #expect(hexString(try PasswordHash.md5([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hexString(try PasswordHash.md5(ascii("abc"))) == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func `the strong hash is md5 of key, md5 of password, and the AIM salt`() throws {
        // md5("1234567890" + md5("secret") + "AOL Instant Messenger (SM)"), computed independently.
        let hash = try PasswordHash.strong(key: ascii("1234567890"), password: "secret")
        #expect(hexString(hash) == "054b2494f6d223078f90b1d1333b757f")
    }

    @Test func `the weak hash uses the password itself`() throws {
        let hash = try PasswordHash.weak(key: ascii("1234567890"), password: "secret")
        #expect(hexString(hash) == "862a71ebc6b0913ac23b3ace99ca9951")
    }

    @Test func `the key request carries the screen name in TLV 0x01`() throws {
        let snac = try SNAC(BUCPKeyRequest(screenName: "RefDesk"), requestID: 1)
        #expect(snac.encoded() == bytes("00 17 00 06 00 00 00 00 00 01  00 01 00 07") + ascii("RefDesk"))
    }

    @Test func `the key reply is a u16-length key`() throws {
        let reply = try BUCPKeyReply(snacData: bytes("00 0A") + ascii("1234567890"))
        #expect(reply.key == ascii("1234567890"))
        #expect(throws: OSCARDecodingError.truncated(field: "BUCP login key", needed: 10, available: 3)) {
            try BUCPKeyReply(snacData: bytes("00 0A 31 32 33"))
        }
    }

    @Test func `the login request sends name, hash, strong flag, client id and multi-connection flags`() throws {
        let hash = [UInt8](repeating: 0x11, count: 16)
        let login = BUCPLoginRequest(screenName: "ab", passwordHash: hash, clientID: "rd")
        var body: [UInt8] = []
        try login.encode(into: &body)
        let expected = bytes("00 01 00 02 61 62")
            + bytes("00 25 00 10") + hash
            + bytes("00 4C 00 00")
            + bytes("00 03 00 02 72 64")
            + bytes("00 4A 00 01 01")
        #expect(body == expected)
        #expect(try BUCPLoginRequest(snacData: body) == login)
    }

    @Test func `a successful login reply gives the BOS address and cookie`() throws {
        let data = bytes("00 01 00 02 61 62  00 05 00 0E") + ascii("bos.local:5191") + bytes("00 06 00 03 C0 0C 1E")
        let reply = try BUCPLoginReply(snacData: data)
        #expect(reply.screenName == "ab")
        #expect(reply.outcome == .success(bosAddress: "bos.local:5191", cookie: bytes("C0 0C 1E")))
        #expect(try BUCPLoginReply(snacData: reply.encodedBody()) == reply)
    }

    @Test func `a failed login reply gives the error code`() throws {
        let reply = try BUCPLoginReply(snacData: bytes("00 01 00 02 61 62  00 08 00 02 00 05"))
        #expect(reply.outcome == .failure(code: 0x0005, url: nil))
    }

    @Test func `a login reply with neither error nor cookie is rejected`() {
        #expect(throws: OSCARDecodingError.missingTLV(type: 0x0005, in: "BUCP login reply without an error code")) {
            try BUCPLoginReply(snacData: bytes("00 01 00 02 61 62"))
        }
    }

    @Test(arguments: [
        (LoginErrorCode.invalidNameOrPassword, false),
        (.invalidPassword, false),
        (.suspended, false),
        (.rateLimited, true),
        (LoginErrorCode(rawValue: 0x0018), true),
    ])
    func `only transient login errors are worth retrying`(code: LoginErrorCode, retryable: Bool) {
        #expect(code.isRetryable == retryable)
    }

    @Test(arguments: [
        ("bos.example.org:5190", "bos.example.org", 5190),
        ("10.0.0.2:443", "10.0.0.2", 443),
        ("bos.example.org", "bos.example.org", 5190),
        ("[::1]:5191", "::1", 5191),
    ])
    func `BOS addresses parse into host and port`(address: String, host: String, port: Int) throws {
        #expect(try BOSEndpoint(parsing: address) == BOSEndpoint(host: host, port: port))
    }

    @Test(arguments: ["", ":5190", "host:", "host:99999", "host:port", "[::1"])
    func `malformed BOS addresses are rejected`(address: String) {
        #expect(throws: OSCARDecodingError.self) { try BOSEndpoint(parsing: address) }
    }

    @Test func `the BOS sign-on frame is version 1 and the cookie in TLV 0x06`() throws {
        let frame = try SignOnPayload.bosSignOn(cookie: bytes("C0 0C 1E")).frame(sequence: 7)
        #expect(try frame.encoded() == bytes("2A 01 00 07 00 0B  00 00 00 01  00 06 00 03 C0 0C 1E"))
        #expect(try SignOnPayload(decoding: frame.payload).cookie == bytes("C0 0C 1E"))
    }

    @Test func `a server sign-off gives its reason and URL`() throws {
        let payload = try SignOffPayload(decoding: bytes("00 09 00 02 00 01  00 0B 00 03") + ascii("u:x"))
        #expect(payload.reason == SignOffPayload.signedOnElsewhere)
        #expect(payload.url == "u:x")
        #expect(try SignOffPayload(reason: 1, url: "u:x").encoded() == payload.encoded())
    }
}

extension SNACMessage {
    func encodedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        try encode(into: &body)
        return body
    }
}
