import Testing
import TwilioGateway

@Suite("Messages REST request")
struct MessagesRequestTests {
    static let account = "AC" + String(repeating: "0123456789abcdef", count: 2)
    static let service = "MG" + String(repeating: "fedcba9876543210", count: 2)
    static let patron = E164Number("+15551234567")
    static let library = E164Number("+15557654321")

    static func request(sender: MessagesRequest.Sender? = nil, body: String = "Yes, it is on the shelf.", callback: String? = "https://refdesk.example.org/twilio/status") throws -> MessagesRequest {
        let to = try #require(patron)
        let from = try #require(library)
        return try MessagesRequest(accountSid: account, to: to, sender: sender ?? .number(from), body: body, statusCallback: callback)
    }

    @Test("path, URL and method follow the 2010-04-01 API")
    func pathAndMethod() throws {
        let request = try Self.request()
        #expect(request.method == "POST")
        #expect(request.path == "/2010-04-01/Accounts/\(Self.account)/Messages.json")
        #expect(request.url == "https://api.twilio.com/2010-04-01/Accounts/\(Self.account)/Messages.json")
        #expect(MessagesRequest.contentType == "application/x-www-form-urlencoded")
    }

    @Test("the body is encoded byte for byte, From when sending from a number")
    func bodyWithFrom() throws {
        let request = try Self.request(body: "Yes & no: 100% 👍")
        #expect(request.formBody == "To=%2B15551234567&From=%2B15557654321&Body=Yes+%26+no%3A+100%25+%F0%9F%91%8D&StatusCallback=https%3A%2F%2Frefdesk.example.org%2Ftwilio%2Fstatus")
    }

    @Test("a Messaging Service replaces From, and StatusCallback is optional")
    func bodyWithService() throws {
        let request = try Self.request(sender: .messagingService(Self.service), callback: nil)
        #expect(request.formFields.map(\.0) == ["To", "MessagingServiceSid", "Body"])
        #expect(request.formBody == "To=%2B15551234567&MessagingServiceSid=\(Self.service)&Body=Yes%2C+it+is+on+the+shelf.")
    }

    @Test("basic authorization header value")
    func basicAuth() {
        // The example of RFC 7617, then a real-length pair checked against the reference encoder.
        #expect(MessagesRequest.basicAuthorization(username: "Aladdin", password: "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        let value = MessagesRequest.basicAuthorization(username: Self.account, password: "secret")
        #expect(value == "Basic " + ReferenceHMAC.base64(Array((Self.account + ":secret").utf8)))
    }

    @Test("invalid requests are refused before any I/O")
    func invalid() throws {
        let to = try #require(Self.patron)
        let from = try #require(Self.library)
        #expect(throws: MessagesRequestError.invalidAccountSid("AC/../x")) {
            try MessagesRequest(accountSid: "AC/../x", to: to, sender: .number(from), body: "x")
        }
        #expect(throws: MessagesRequestError.invalidMessagingServiceSid("MG1")) {
            try MessagesRequest(accountSid: Self.account, to: to, sender: .messagingService("MG1"), body: "x")
        }
        #expect(throws: MessagesRequestError.emptyBody) {
            try MessagesRequest(accountSid: Self.account, to: to, sender: .number(from), body: "")
        }
        #expect(throws: MessagesRequestError.bodyTooLong(length: 1601, limit: 1600)) {
            try MessagesRequest(accountSid: Self.account, to: to, sender: .number(from), body: String(repeating: "a", count: 1601))
        }
        #expect(throws: MessagesRequestError.invalidStatusCallback("ftp://x")) {
            try MessagesRequest(accountSid: Self.account, to: to, sender: .number(from), body: "x", statusCallback: "ftp://x")
        }
        #expect(throws: Never.self) {
            try MessagesRequest(accountSid: Self.account, to: to, sender: .number(from), body: String(repeating: "a", count: 1600))
        }
    }
}

@Suite("Twilio API responses")
struct TwilioAPIResponseTests {
    static let sid = "SM" + String(repeating: "a", count: 32)

    @Test("a 201 with a Message resource yields its SID and status")
    func created() throws {
        let json = #"{"account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "body": "Hello! \ud83d\udc4d", "error_code": null, "sid": "\#(Self.sid)", "status": "queued", "num_segments": "1"}"#
        #expect(try TwilioAPIResponse.decode(httpStatus: 201, body: Array(json.utf8)) == .created(sid: Self.sid, status: .queued))
    }

    @Test("Twilio's error JSON becomes a typed error")
    func errorBody() throws {
        let json = #"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#
        let response = try TwilioAPIResponse.decode(httpStatus: 400, body: Array(json.utf8))
        let expected = TwilioAPIError(httpStatus: 400, code: 21211, message: "The 'To' number +1555 is not a valid phone number.", moreInfo: "https://www.twilio.com/docs/errors/21211")
        #expect(response == .error(expected))
        #expect(expected.description == "Twilio answered HTTP 400, error 21211: The 'To' number +1555 is not a valid phone number.")
    }

    @Test("a non-JSON error page keeps the HTTP status", arguments: [(502, "<html>Bad Gateway</html>"), (503, ""), (500, "{}")])
    func nonJSONError(status: Int, body: String) throws {
        let response = try TwilioAPIResponse.decode(httpStatus: status, body: Array(body.utf8))
        #expect(response == .error(TwilioAPIError(httpStatus: status, code: nil, message: "HTTP \(status) without Twilio's error JSON", moreInfo: nil)))
    }

    @Test("a 2xx without a usable SID is an error, not a guess", arguments: [
        "not json", "{}", #"{"sid": "SM1", "status": "queued"}"#, #"{"sid": 5}"#,
    ])
    func malformedSuccess(body: String) {
        #expect(throws: TwilioAPIResponseError.self) { try TwilioAPIResponse.decode(httpStatus: 201, body: Array(body.utf8)) }
    }

    @Test("an oversized body is not parsed")
    func oversized() {
        let body = [UInt8](repeating: 0x20, count: TwilioAPIResponse.maximumBodyBytes + 1)
        #expect(throws: TwilioAPIResponseError.bodyTooLarge(size: body.count, limit: TwilioAPIResponse.maximumBodyBytes)) {
            try TwilioAPIResponse.decode(httpStatus: 201, body: body)
        }
    }
}

@Suite("Twilio error classification")
struct TwilioErrorClassifierTests {
    static func apiError(_ code: Int?, status: Int = 400) -> TwilioAPIError {
        TwilioAPIError(httpStatus: status, code: code, message: "Twilio says no", moreInfo: nil)
    }

    @Test("throttling and server trouble are retried", arguments: [
        (20429, 429), (14107, 400), (30001, 400), (21611, 400), (30022, 400), (20500, 500), (20503, 503),
    ])
    func retriedCodes(code: Int, status: Int) {
        #expect(TwilioErrorClassifier.classify(Self.apiError(code, status: status)).isRetryable)
    }

    @Test("HTTP 429 and 5xx without a known code are retried", arguments: [429, 500, 502, 503, 504])
    func retriedStatuses(status: Int) {
        #expect(TwilioErrorClassifier.classify(Self.apiError(nil, status: status)).isRetryable)
        #expect(TwilioErrorClassifier.classify(Self.apiError(99_999, status: status)).isRetryable)
    }

    @Test("permanent failures are not retried and say why", arguments: [
        (21610, "opted out"), (21211, "not a valid phone number"), (21614, "not a mobile number"), (21408, "country"),
        (30003, "unreachable"), (30004, "blocked"), (30005, "unknown"), (30006, "landline"), (30007, "filtered"),
        (20003, "credentials"), (30002, "suspended"),
    ])
    func permanentCodes(code: Int, phrase: String) {
        let disposition = TwilioErrorClassifier.classify(Self.apiError(code))
        #expect(!disposition.isRetryable)
        #expect(disposition.reason.contains(phrase))
        #expect(disposition.reason.contains("Twilio error \(code)"))
    }

    @Test("an unknown 4xx is permanent and quotes Twilio's message")
    func unknownClientError() {
        #expect(TwilioErrorClassifier.classify(Self.apiError(12_345)) == .permanent(reason: "Twilio refused the message (Twilio error 12345): Twilio says no"))
    }

    @Test("status callback codes use the same table")
    func callbackCodes() {
        #expect(!TwilioErrorClassifier.classify(errorCode: 30006).isRetryable)
        #expect(TwilioErrorClassifier.classify(errorCode: 30001).isRetryable)
        #expect(TwilioErrorClassifier.classify(errorCode: 40_001, message: "odd") == .permanent(reason: "The message could not be delivered (Twilio error 40001): odd"))
    }

    @Test("network failures are retried")
    func network() {
        let disposition = TwilioErrorClassifier.networkFailure("connection timed out")
        #expect(disposition.isRetryable)
        #expect(disposition.reason.contains("connection timed out"))
    }
}
