import OSCAR
import Testing

@Suite("SNAC and TLV")
struct SNACAndTLVTests {
    @Test func `a SNAC encodes family, subtype, flags, request id, then data`() {
        let snac = SNAC(family: 0x0004, subtype: 0x0006, flags: 0, requestID: 0x0102_0304, data: bytes("AA BB"))
        #expect(snac.encoded() == bytes("00 04 00 06 00 00 01 02 03 04 AA BB"))
    }

    @Test func `decoding skips the block announced by flag 0x8000`() throws {
        let payload = bytes("00 01 00 03 80 00 80 00 00 00 00 06 00 01 00 02 00 06 00 01 00 02 00 03")
        let snac = try SNAC(decoding: payload)
        #expect(snac.family == 0x0001)
        #expect(snac.subtype == 0x0003)
        #expect(snac.requestID == SNAC.serverInitiatedRequestID)
        #expect(snac.data == bytes("00 01 00 02 00 03"))
        #expect(try snac.decode(as: HostOnline.self).families == [1, 2, 3])
    }

    @Test func `an error reply in any family decodes its u16 code`() throws {
        let snac = try SNAC(decoding: bytes("00 04 00 01 00 00 00 00 00 07 00 04"))
        let error = try #require(try snac.errorReply())
        #expect(error == SNACError(family: 0x0004, code: SNACError.recipientNotLoggedIn))
    }

    @Test func `a non-error SNAC has no error reply`() throws {
        #expect(try SNAC(family: 1, subtype: 3, requestID: 0, data: []).errorReply() == nil)
    }

    @Test func `decoding a SNAC as the wrong message type says which was expected`() {
        let snac = SNAC(family: 0x0001, subtype: 0x0003, requestID: 0, data: [])
        #expect(throws: OSCARDecodingError.unexpectedSNAC(expectedFamily: 0x0004, expectedSubtype: 0x0007, family: 0x0001, subtype: 0x0003)) {
            try snac.decode(as: ICBMIncomingMessage.self)
        }
    }

    @Test func `a SNAC header shorter than ten bytes is rejected`() {
        #expect(throws: OSCARDecodingError.truncated(field: "SNAC request id", needed: 4, available: 2)) {
            try SNAC(decoding: bytes("00 01 00 03 00 00 00 00"))
        }
    }

    @Test func `a SNAC frame on another channel is rejected`() {
        let frame = FLAPFrame(channel: .signOn, sequence: 0, payload: bytes("00 00 00 01"))
        #expect(throws: OSCARDecodingError.unexpectedChannel(expected: .snac, actual: .signOn)) { try SNAC(frame: frame) }
    }

    static let tlvs: [TLV] = [.u16(0x0009, 1), .string(0x000B, "http://x"), .flag(0x004C)]

    @Test func `TLV lists encode in all three layouts`() throws {
        let body = bytes("00 09 00 02 00 01  00 0B 00 08") + ascii("http://x") + bytes("00 4C 00 00")
        #expect(try Self.tlvs.encoded(format: .toEnd) == body)
        #expect(try Self.tlvs.encoded(format: .countPrefixed) == bytes("00 03") + body)
        #expect(try Self.tlvs.encoded(format: .lengthPrefixed) == bytes("00 16") + body)
    }

    @Test(arguments: [TLVListFormat.toEnd, .countPrefixed, .lengthPrefixed])
    func `TLV lists round-trip`(format: TLVListFormat) throws {
        #expect(try [TLV].decode(Self.tlvs.encoded(format: format), format: format) == Self.tlvs)
    }

    @Test func `typed TLV helpers read back what they wrote`() throws {
        #expect(try TLV.u8(1, 0xFE).u8Value() == 0xFE)
        #expect(try TLV.u16(1, 0xBEEF).u16Value() == 0xBEEF)
        #expect(try TLV.u32(1, 0xDEAD_BEEF).u32Value() == 0xDEAD_BEEF)
        #expect(TLV.string(1, "Ref Desk").stringValue == "Ref Desk")
    }

    @Test func `a typed read of a TLV with the wrong length fails with the lengths`() {
        #expect(throws: OSCARDecodingError.invalidValue(field: "TLV 0x0009", reason: "expected 2 value bytes, got 3")) {
            try TLV(type: 9, value: [0, 1, 2]).u16Value()
        }
    }

    @Test func `a TLV whose length runs past the data is rejected`() {
        #expect(throws: OSCARDecodingError.truncated(field: "TLV 0x0001 value", needed: 5, available: 2)) {
            try [TLV].decode(bytes("00 01 00 05 AA BB"), format: .toEnd)
        }
    }

    @Test func `a count-prefixed list with fewer TLVs than counted is rejected`() {
        #expect(throws: OSCARDecodingError.self) {
            try [TLV].decode(bytes("00 02 00 01 00 00"), format: .countPrefixed)
        }
    }

    @Test func `bytes after a length-prefixed block are reported`() {
        #expect(throws: OSCARDecodingError.invalidValue(field: "TLV list", reason: "1 bytes left over after the list")) {
            try [TLV].decode(bytes("00 04 00 01 00 00 FF"), format: .lengthPrefixed)
        }
    }

    @Test func `a TLV value longer than 65535 bytes cannot be encoded`() {
        let tlv = TLV(type: 2, value: [UInt8](repeating: 0, count: 65536))
        #expect(throws: OSCAREncodingError.fieldTooLong(field: "TLV 0x0002 value", length: 65536, maximum: 65535)) {
            try [tlv].encoded(format: .toEnd)
        }
    }
}
