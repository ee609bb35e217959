import Testing
@testable import TwilioGateway

@Suite("Twilio request signatures")
struct TwilioSignatureTests {
    /// The worked example of Twilio's security documentation.
    static let docURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
    static let docParams = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    static let docToken = "12345"
    static let docSignature = "RSOYDt4T1cUTdK1PDd93/VVr8B8="

    static let token = "0123456789abcdef0123456789abcdef"
    static let smsParams = [
        ("MessageSid", "SM" + String(repeating: "a", count: 32)),
        ("From", "+15551234567"),
        ("To", "+15557654321"),
        ("Body", "Héllo & 👋 wörld"),
        ("NumMedia", "0"),
    ]

    @Test("Twilio's documented example produces the documented signature")
    func documentedVector() {
        #expect(TwilioSignature.expected(url: Self.docURL, params: Self.docParams, authToken: Self.docToken) == Self.docSignature)
        #expect(TwilioSignature.isValid(signature: Self.docSignature, url: Self.docURL, params: Self.docParams, authToken: Self.docToken))
    }

    @Test("parameter order in the body does not matter")
    func orderIndependent() {
        let shuffled = Array(Self.docParams.reversed())
        #expect(TwilioSignature.expected(url: Self.docURL, params: shuffled, authToken: Self.docToken) == Self.docSignature)
    }

    @Test("signatures match an independent HMAC-SHA1 computation", arguments: [
        ("https://refdesk.example.org/twilio/sms", smsParams),
        ("https://refdesk.example.org/twilio/sms?gateway=3&x=%20y", smsParams),
        ("https://example.org/x", []),
        ("https://example.org/x", [("a", "2"), ("B", "1"), ("a", "1"), ("_", "")]),
        (docURL, docParams),
    ] as [(String, [(String, String)])])
    func matchesReference(url: String, params: [(String, String)]) {
        let reference = ReferenceHMAC.twilioSignature(url: url, params: params, authToken: Self.token)
        #expect(TwilioSignature.expected(url: url, params: params, authToken: Self.token) == reference)
        #expect(TwilioSignature.isValid(signature: reference, url: url, params: params, authToken: Self.token))
    }

    @Test("signatures match vectors computed with another HMAC implementation", arguments: [
        ("https://refdesk.example.org/twilio/sms", "3Nz0NIpMGK6fCrKignumoQ1w7bM="),
        ("https://refdesk.example.org:443/twilio/sms", "dzwAH7Cew7+VDCGjrTMm67xYoEE="),
        ("https://refdesk.example.org:8443/twilio/sms?gw=3", "I6PY71p852jdHGuCOryHoc0oPkE="),
    ])
    func externalVectors(url: String, signature: String) {
        #expect(TwilioSignature.expected(url: url, params: Self.smsParams, authToken: Self.token) == signature)
    }

    @Test("a repeated name contributes every value, values sorted")
    func repeatedNames() {
        let params = [("MediaUrl", "https://b.example/2"), ("To", "+15557654321"), ("MediaUrl", "https://a.example/1")]
        #expect(TwilioSignature.expected(url: "https://example.org/x", params: params, authToken: Self.token) == "mIThDRPprlDro5agF2FjRscppas=")
    }

    @Test("a signature over the URL with :443 validates the URL without a port, and the other way round")
    func portQuirk() {
        let bare = "https://refdesk.example.org/twilio/sms"
        let withPort = "https://refdesk.example.org:443/twilio/sms"
        let signedWithPort = "dzwAH7Cew7+VDCGjrTMm67xYoEE="
        let signedBare = "3Nz0NIpMGK6fCrKignumoQ1w7bM="
        #expect(TwilioSignature.isValid(signature: signedWithPort, url: bare, params: Self.smsParams, authToken: Self.token))
        #expect(TwilioSignature.isValid(signature: signedBare, url: withPort, params: Self.smsParams, authToken: Self.token))
    }

    @Test("URL spellings tried for the port quirk", arguments: [
        ("https://h.org/p?q=1", ["https://h.org/p?q=1", "https://h.org:443/p?q=1"]),
        ("https://h.org:443/p", ["https://h.org:443/p", "https://h.org/p"]),
        ("http://h.org", ["http://h.org", "http://h.org:80"]),
        ("https://h.org:8443/p", ["https://h.org:8443/p", "https://h.org/p"]),
        ("https://u:pw@h.org/p", ["https://u:pw@h.org/p", "https://u:pw@h.org:443/p"]),
        ("https://[::1]:8443/p", ["https://[::1]:8443/p", "https://[::1]/p"]),
        ("not a url", ["not a url"]),
    ])
    func signingCandidates(url: String, expected: [String]) {
        #expect(WebhookURL.signingCandidates(url) == expected)
    }

    @Test("tampering with anything signed invalidates the signature", arguments: [
        (docURL + "&baz=3", docParams, docToken),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", docParams, docToken),
        (docURL, docParams + [("Body", "injected")], docToken),
        (docURL, Array(docParams.dropLast()), docToken),
        (docURL, docParams.map { ($0.0, $0.0 == "Digits" ? "9999" : $0.1) }, docToken),
        (docURL, docParams, "12346"),
    ] as [(String, [(String, String)], String)])
    func tampering(url: String, params: [(String, String)], token: String) {
        #expect(!TwilioSignature.isValid(signature: Self.docSignature, url: url, params: params, authToken: token))
    }

    @Test("malformed signatures are rejected", arguments: ["", "RSOYDt4T1cUTdK1PDd93/VVr8B8", "rsoydt4t1cutdk1pdd93/vvr8b8=", "RSOYDt4T1cUTdK1PDd93/VVr8B8==", String(repeating: "A", count: 10_000)])
    func malformedSignatures(signature: String) {
        #expect(!TwilioSignature.isValid(signature: signature, url: Self.docURL, params: Self.docParams, authToken: Self.docToken))
    }

    @Test("HMAC-SHA1 matches RFC 2202 test case 2")
    func rfc2202() {
        let mac = Crypto.hmacSHA1(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        let hex = mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(hex == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test("base64 pads like RFC 4648", arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")])
    func base64(input: String, expected: String) {
        #expect(Crypto.base64(Array(input.utf8)) == expected)
    }
}
