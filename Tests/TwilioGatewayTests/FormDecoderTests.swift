import Testing
@testable import TwilioGateway

@Suite("Form decoding")
struct FormDecoderTests {
    let decoder = FormDecoder()

    @Test("fields come back in body order with names and values percent-decoded")
    func decodesInOrder() throws {
        let fields = try decoder.decode("To=%2B15557654321&From=%2B15551234567&Body=Hello+there%21")
        #expect(fields.pairs == [
            .init(name: "To", value: "+15557654321"),
            .init(name: "From", value: "+15551234567"),
            .init(name: "Body", value: "Hello there!"),
        ])
    }

    @Test("decoding table", arguments: [
        ("a=b", [("a", "b")]),
        ("a=", [("a", "")]),
        ("a", [("a", "")]),
        ("a=1&&b=2&", [("a", "1"), ("b", "2")]),
        ("a=x%3Dy%26z", [("a", "x=y&z")]),
        ("a=%2b+%2B", [("a", "+ +")]),
        ("Body=caf%C3%A9+%F0%9F%91%8B", [("Body", "café 👋")]),
        ("Body=line1%0D%0Aline2%09tab", [("Body", "line1\r\nline2\ttab")]),
        ("a=b=c", [("a", "b=c")]),
        ("", []),
    ] as [(String, [(String, String)])])
    func decodingTable(body: String, expected: [(String, String)]) throws {
        let fields = try decoder.decode(body)
        #expect(fields == FormFields(expected))
    }

    @Test("the dictionary view holds the first value of each name")
    func dictionaryView() throws {
        let fields = try FormDecoder(repeatedNames: .allowAll).decode("a=1&b=2&a=3")
        #expect(fields.dictionary == ["a": "1", "b": "2"])
        #expect(fields.values("a") == ["1", "3"])
    }

    @Test("hostile bodies are refused with the precise reason", arguments: [
        ("Body=%", FormError.truncatedPercentEscape(offset: 5)),
        ("Body=%4", FormError.truncatedPercentEscape(offset: 5)),
        ("Body=%4&To=x", FormError.truncatedPercentEscape(offset: 5)),
        ("Body=%zz", FormError.invalidPercentEscape(offset: 5, escape: "%zz")),
        ("Body=%4g", FormError.invalidPercentEscape(offset: 5, escape: "%4g")),
        ("Body=%&", FormError.truncatedPercentEscape(offset: 5)),
        ("Body=%G", FormError.invalidPercentEscape(offset: 5, escape: "%G")),
        ("Body=%C3", FormError.invalidUTF8(fieldIndex: 0, part: .value)),
        ("Body=%FF%FE", FormError.invalidUTF8(fieldIndex: 0, part: .value)),
        ("Body=%ED%A0%80", FormError.invalidUTF8(fieldIndex: 0, part: .value)),
        ("%C0%AF=x", FormError.invalidUTF8(fieldIndex: 0, part: .name)),
        ("Body=a%00b", FormError.controlCharacter(fieldIndex: 0, part: .value, scalar: 0)),
        ("To=1&Body=%1B[31m", FormError.controlCharacter(fieldIndex: 1, part: .value, scalar: 0x1B)),
        ("Body=%7F", FormError.controlCharacter(fieldIndex: 0, part: .value, scalar: 0x7F)),
        ("Body=%C2%85", FormError.controlCharacter(fieldIndex: 0, part: .value, scalar: 0x85)),
        ("Bo%0Ady=x", FormError.controlCharacter(fieldIndex: 0, part: .name, scalar: 0x0A)),
        ("=x", FormError.emptyName(fieldIndex: 0)),
        ("From=1&From=2", FormError.duplicateName("From")),
    ] as [(String, FormError)])
    func hostileBodies(body: String, expected: FormError) {
        #expect(throws: expected) { try decoder.decode(body) }
    }

    @Test("raw bytes that are not UTF-8 are refused even without escapes")
    func rawInvalidUTF8() {
        let body: [UInt8] = Array("Body=".utf8) + [0xC3, 0x28]
        #expect(throws: FormError.invalidUTF8(fieldIndex: 0, part: .value)) { try decoder.decode(bytes: body) }
    }

    @Test("a raw NUL byte is refused")
    func rawNUL() {
        let body: [UInt8] = Array("Body=a".utf8) + [0] + Array("b".utf8)
        #expect(throws: FormError.controlCharacter(fieldIndex: 0, part: .value, scalar: 0)) { try decoder.decode(bytes: body) }
    }

    @Test("a body over the size limit is refused before any parsing")
    func hugeBody() {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: FormLimits.webhook.maximumBodyBytes + 1)
        #expect(throws: FormError.bodyTooLarge(size: body.count, limit: FormLimits.webhook.maximumBodyBytes)) {
            try decoder.decode(bytes: body)
        }
    }

    @Test("more fields than the limit are refused")
    func tooManyFields() {
        let limited = FormDecoder(limits: FormLimits(maximumFieldCount: 3))
        #expect(throws: FormError.tooManyFields(limit: 3)) { try limited.decode("a=1&b=2&c=3&d=4") }
        #expect(throws: Never.self) { try limited.decode("a=1&b=2&c=3") }
    }

    @Test("the default limit stops a flood of tiny fields")
    func fieldFlood() {
        let body = (0..<10_000).map { "f\($0)=1" }.joined(separator: "&")
        #expect(throws: FormError.tooManyFields(limit: FormLimits.webhook.maximumFieldCount)) { try decoder.decode(body) }
    }

    @Test("names and values over their limits are refused, measured after decoding")
    func oversizedParts() {
        let limited = FormDecoder(limits: FormLimits(maximumNameBytes: 4, maximumValueBytes: 3))
        #expect(throws: FormError.nameTooLong(fieldIndex: 0, length: 5, limit: 4)) { try limited.decode("abcde=1") }
        #expect(throws: FormError.valueTooLong(name: "a", length: 4, limit: 3)) { try limited.decode("a=%41%42%43%44") }
        #expect(throws: Never.self) { try limited.decode("abcd=%41%42%43") }
    }

    @Test("repeated names can be allowed by name or altogether")
    func repeatedNamePolicy() throws {
        let some = FormDecoder(repeatedNames: .allow(["MediaUrl"]))
        #expect(try some.decode("MediaUrl=a&MediaUrl=b").values("MediaUrl") == ["a", "b"])
        #expect(throws: FormError.duplicateName("To")) { try some.decode("To=a&To=b") }
        let fields = try FormDecoder(repeatedNames: .allowAll).decode("To=a&To=b")
        #expect(throws: FormError.duplicateName("To")) { try fields.value("To") }
    }

    @Test("error descriptions name what was wrong")
    func descriptions() {
        #expect(FormError.bodyTooLarge(size: 2_000_000, limit: 131_072).description == "form body of 2000000 bytes exceeds the maximum 131072")
        #expect(FormError.invalidPercentEscape(offset: 14, escape: "%zz").description.contains("'%zz' at byte 14"))
        #expect(FormError.controlCharacter(fieldIndex: 2, part: .value, scalar: 0).description == "value of field 2 contains the control character U+0000")
        #expect(FormError.duplicateName("From").description == "field 'From' appears more than once")
    }
}

@Suite("Form encoding")
struct FormEncoderTests {
    @Test("encoding table", arguments: [
        ("Hello there", "Hello+there"),
        ("+15551234567", "%2B15551234567"),
        ("a&b=c", "a%26b%3Dc"),
        ("café 👋", "caf%C3%A9+%F0%9F%91%8B"),
        ("-._*~", "-._*%7E"),
        ("https://x.org/cb?a=1", "https%3A%2F%2Fx.org%2Fcb%3Fa%3D1"),
        ("line\nbreak", "line%0Abreak"),
    ])
    func encodingTable(text: String, expected: String) {
        #expect(FormEncoder.encodeComponent(text) == expected)
    }

    @Test("encoded pairs decode back to the same pairs", arguments: [
        [("To", "+15557654321"), ("Body", "Ça va? 100% & <ok> 👍\r\nbye")],
        [("a", ""), ("b", "=")],
    ])
    func roundTrip(pairs: [(String, String)]) throws {
        let decoded = try FormDecoder().decode(FormEncoder.encode(pairs))
        #expect(decoded == FormFields(pairs))
    }
}
