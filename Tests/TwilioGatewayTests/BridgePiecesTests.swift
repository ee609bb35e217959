import Testing
@testable import TwilioGateway

private let account = "AC" + String(repeating: "0123456789abcdef", count: 2)
private let service = "MG" + String(repeating: "fedcba9876543210", count: 2)
private let token = "f00dfeedf00dfeedf00dfeedf00dfeed"
private let url = "https://sms.example.org/refdesk/sms"

@Suite("Gateway secrets")
struct GatewaySecretTests {
    @Test("an Account SID alone sends from the gateway's number")
    func accountOnly() throws {
        let secret = try GatewaySecret(parsing: account)
        #expect(secret == GatewaySecret(accountSid: account))
        #expect(secret.text == account)
    }

    @Test("Account SID and Messaging Service SID, separated by a colon")
    func withService() throws {
        let secret = try GatewaySecret(parsing: account + ":" + service)
        #expect(secret.messagingServiceSid == service)
        #expect(secret.text == account + ":" + service)
    }

    static let badSecrets: [(String, GatewaySecretError)] = [
        ("", .invalidAccountSid),
        ("hunter2", .invalidAccountSid),
        (service, .invalidAccountSid),
        (account + ":", .invalidMessagingServiceSid),
        (account + ":" + account, .invalidMessagingServiceSid),
        (account + ":" + service + ":x", .tooManyParts(3)),
    ]

    @Test("bad secrets are refused with the part that is wrong", arguments: badSecrets)
    func refused(text: String, error: GatewaySecretError) {
        #expect(throws: error) { try GatewaySecret(parsing: text) }
    }

    @Test("an error message never repeats the secret")
    func errorDoesNotLeak() {
        let text = "AC-not-a-sid-but-maybe-a-token"
        #expect(throws: GatewaySecretError.invalidAccountSid) { try GatewaySecret(parsing: text) }
        #expect(!GatewaySecretError.invalidAccountSid.description.contains(text))
    }
}

@Suite("Webhook verification")
struct WebhookVerifierTests {
    let verifier = WebhookVerifier(maximumBodyBytes: 4096, authTokens: [account: token])
    let params = [("MessageSid", "SM" + String(repeating: "1", count: 32)), ("AccountSid", account), ("From", "+15551230001"),
                  ("To", "+15550000001"), ("Body", "Is the library open?")]

    func body(_ pairs: [(String, String)]) -> [UInt8] {
        Array(FormEncoder.encode(pairs).utf8)
    }

    @Test("a correctly signed body passes and comes back decoded")
    func valid() throws {
        let signature = TwilioSignature.expected(url: url, params: params, authToken: token)
        let fields = try verifier.verify(body: body(params), signature: signature, url: url)
        #expect(try fields.value("Body") == "Is the library open?")
    }

    @Test("a Messaging Service's extra field is signed like any other")
    func messagingService() throws {
        let withService = params + [("MessagingServiceSid", service)]
        let signature = TwilioSignature.expected(url: url, params: withService, authToken: token)
        #expect(throws: Never.self) { try verifier.verify(body: body(withService), signature: signature, url: url) }
        let unsignedField = TwilioSignature.expected(url: url, params: params, authToken: token)
        #expect(throws: WebhookRefusal.badSignature) { try verifier.verify(body: body(withService), signature: unsignedField, url: url) }
    }

    @Test("a signature over another URL (the proxy's internal one) is refused")
    func otherURL() {
        let signature = TwilioSignature.expected(url: "http://127.0.0.1:8081/sms", params: params, authToken: token)
        #expect(throws: WebhookRefusal.badSignature) { try verifier.verify(body: body(params), signature: signature, url: url) }
    }

    @Test("each kind of bad request gets its own answer")
    func refusals() {
        let signature = TwilioSignature.expected(url: url, params: params, authToken: token)
        #expect(throws: WebhookRefusal.missingSignature) { try verifier.verify(body: body(params), signature: nil, url: url) }
        #expect(throws: WebhookRefusal.missingSignature) { try verifier.verify(body: body(params), signature: "", url: url) }
        #expect(throws: WebhookRefusal.badSignature) { try verifier.verify(body: body(params), signature: "AAAA" + signature.dropFirst(4), url: url) }
        let otherAccount = params.map { $0.0 == "AccountSid" ? ($0.0, "AC" + String(repeating: "9", count: 32)) : $0 }
        #expect(throws: WebhookRefusal.unknownAccount) { try verifier.verify(body: body(otherAccount), signature: signature, url: url) }
        #expect(throws: WebhookRefusal.tooLarge(size: 5000, limit: 4096)) {
            try verifier.verify(body: [UInt8](repeating: 0x61, count: 5000), signature: signature, url: url)
        }
        do {
            _ = try verifier.verify(body: Array("Body=%zz".utf8), signature: signature, url: url)
            Issue.record("a bad percent escape passed")
        } catch {
            #expect(error.httpStatus == 400)
            #expect(error.description.contains("%zz"))
        }
    }

    static let statusTable: [(WebhookRefusal, Int)] = [
        (.tooLarge(size: 2, limit: 1), 413), (.malformed("x"), 400), (.missingSignature, 403),
        (.unknownAccount, 403), (.badSignature, 403), (.unknownNumber, 404), (.notReady, 503),
    ]

    @Test("HTTP statuses", arguments: statusTable)
    func statuses(refusal: WebhookRefusal, status: Int) {
        #expect(refusal.httpStatus == status)
    }
}

@Suite("Opt-out notices")
struct OptOutNoticeTests {
    @Test("STOP and START keep the patron's word and add what it did")
    func annotated() throws {
        let stop = OptOutNotice.annotate("Stop", kind: .stop)
        #expect(stop.hasPrefix("Stop\n[refdesk] "), "the note is marked as refdesk's, apart from the patron's word")
        #expect(stop.contains("opted out") && stop.contains("START"))
        #expect(OptOutNotice.annotate("START", kind: .start).contains("opted back in"))
    }

    @Test("HELP and ordinary texts are unchanged")
    func unchanged() {
        #expect(OptOutNotice.annotate("help", kind: .help) == "help")
        #expect(OptOutNotice.annotate("Stop texting me at night", kind: OptOutKind.keyword(in: "Stop texting me at night")) == "Stop texting me at night")
    }

    @Test("the blocked-reply reason tells the librarian what the patron must do")
    func blocked() {
        #expect(OptOutNotice.blockedReason.contains("STOP") && OptOutNotice.blockedReason.contains("START"))
    }
}

@Suite("Retry schedule")
struct RetryScheduleTests {
    let schedule = RetrySchedule(initial: .seconds(1), maximum: .seconds(60), jitter: 0.2)

    @Test("doubles from the initial delay up to the cap (no jitter at the middle of the range)")
    func doubling() {
        let delays = (1...9).map { schedule.delay(afterFailures: $0, unit: 0.5) }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }

    @Test("jitter stays within ±20 % and never passes the cap")
    func jitter() {
        #expect(schedule.delay(afterFailures: 1, unit: 0) == .milliseconds(800))
        #expect(schedule.delay(afterFailures: 1, unit: 0.999_999) <= .milliseconds(1200))
        #expect(schedule.delay(afterFailures: 30, unit: 0.999_999) == .seconds(60))
    }

    @Test("huge failure counts do not overflow")
    func huge() {
        #expect(schedule.delay(afterFailures: Int.max, unit: 0.5) == .seconds(60))
        #expect(schedule.delay(afterFailures: 0, unit: 0.5) == .seconds(1))
    }
}
