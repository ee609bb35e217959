import Testing
import TwilioGateway

@Suite("Inbound SMS webhook")
struct InboundSMSTests {
    static let messageSid = "SM" + String(repeating: "0", count: 31) + "1"
    static let accountSid = "AC" + String(repeating: "ab", count: 16)
    static let serviceSid = "MG" + String(repeating: "cd", count: 16)

    static let base: [(String, String)] = [
        ("ToCountry", "US"),
        ("MessageSid", messageSid),
        ("SmsSid", messageSid),
        ("AccountSid", accountSid),
        ("MessagingServiceSid", serviceSid),
        ("From", "+15551234567"),
        ("To", "+15557654321"),
        ("Body", "Do you have the new Le Guin?"),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("ApiVersion", "2010-04-01"),
    ]

    static func fields(replacing changes: [String: String?] = [:], adding extra: [(String, String)] = []) -> FormFields {
        var pairs: [(String, String)] = []
        for (name, value) in base {
            if let change = changes[name] {
                if let change { pairs.append((name, change)) }
            } else {
                pairs.append((name, value))
            }
        }
        return FormFields(pairs + extra)
    }

    @Test("a typical webhook parses into a typed message")
    func typical() throws {
        let sms = try InboundSMS(fields: Self.fields())
        #expect(sms.messageSid == Self.messageSid)
        #expect(sms.accountSid == Self.accountSid)
        #expect(sms.messagingServiceSid == Self.serviceSid)
        #expect(sms.from == E164Number("+15551234567"))
        #expect(sms.to.value == "+15557654321")
        #expect(sms.body == "Do you have the new Le Guin?")
        #expect(sms.media.isEmpty)
        #expect(sms.numSegments == 1)
        #expect(sms.optOut == nil)
    }

    @Test("a raw form body parses end to end")
    func fromRawBody() throws {
        let body = FormEncoder.encode(Self.base)
        let sms = try InboundSMS(body: Array(body.utf8))
        #expect(sms.from.value == "+15551234567")
    }

    @Test("a raw form body that is malformed reports the form error")
    func malformedRawBody() {
        #expect(throws: FormError.truncatedPercentEscape(offset: 5)) { try InboundSMS(body: Array("Body=%4".utf8)) }
    }

    @Test("an MMS carries its media in order")
    func media() throws {
        let sms = try InboundSMS(fields: Self.fields(
            replacing: ["NumMedia": "2", "Body": ""],
            adding: [
                ("MediaContentType0", "image/jpeg"), ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME0"),
                ("MediaContentType1", "image/png"), ("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1"),
            ]
        ))
        #expect(sms.media.map(\.contentType) == ["image/jpeg", "image/png"])
        #expect(sms.media[1].url.hasSuffix("ME1"))
        #expect(sms.body.isEmpty)
    }

    @Test("invalid webhooks are refused with the field and the rule", arguments: [
        (["MessageSid": nil], [], WebhookFieldError.missingField("MessageSid")),
        (["AccountSid": nil], [], .missingField("AccountSid")),
        (["From": nil], [], .missingField("From")),
        (["To": nil], [], .missingField("To")),
        (["Body": nil], [], .missingField("Body")),
        (["MessageSid": "SM123"], [], .invalidField(name: "MessageSid", value: "SM123", rule: "SM or MM followed by 32 hexadecimal digits")),
        (["AccountSid": "XX" + String(repeating: "0", count: 32)], [], .invalidField(name: "AccountSid", value: "XX" + String(repeating: "0", count: 32), rule: "AC followed by 32 hexadecimal digits")),
        (["MessagingServiceSid": "MG/../../etc"], [], .invalidField(name: "MessagingServiceSid", value: "MG/../../etc", rule: "MG followed by 32 hexadecimal digits")),
        (["From": "5551234567"], [], .invalidField(name: "From", value: "5551234567", rule: "an E.164 number: '+' followed by 1 to 15 digits, the first not 0")),
        (["From": "whatsapp:+15551234567"], [], .invalidField(name: "From", value: "whatsapp:+15551234567", rule: "an E.164 number: '+' followed by 1 to 15 digits, the first not 0")),
        (["To": "+0123456"], [], .invalidField(name: "To", value: "+0123456", rule: "an E.164 number: '+' followed by 1 to 15 digits, the first not 0")),
        (["To": "+1234567890123456"], [], .invalidField(name: "To", value: "+1234567890123456", rule: "an E.164 number: '+' followed by 1 to 15 digits, the first not 0")),
        (["NumMedia": "-1"], [], .invalidField(name: "NumMedia", value: "-1", rule: "a whole number from 0 to 10")),
        (["NumMedia": "11"], [], .invalidField(name: "NumMedia", value: "11", rule: "a whole number from 0 to 10")),
        (["NumMedia": "99999999999999999999"], [], .invalidField(name: "NumMedia", value: "99999999999999999999", rule: "a whole number from 0 to 10")),
        (["NumMedia": "1"], [], .mediaMismatch("NumMedia is 1 but 'MediaUrl0' is missing")),
        (["NumMedia": "1"], [("MediaUrl0", "https://x.example/m")], .mediaMismatch("NumMedia is 1 but 'MediaContentType0' is missing")),
        ([:], [("MediaUrl0", "https://x.example/m")], .mediaMismatch("'MediaUrl0' is present but NumMedia is 0")),
        (["NumMedia": nil], [("MediaContentType3", "image/gif")], .mediaMismatch("'MediaContentType3' is present but NumMedia is 0")),
        (["NumMedia": "1"], [("MediaUrl0", "http://x.example/m"), ("MediaContentType0", "image/gif")], .invalidField(name: "MediaUrl0", value: "http://x.example/m", rule: "an https:// URL")),
        (["NumMedia": "1"], [("MediaUrl0", "https://x.example/m"), ("MediaContentType0", "gif")], .invalidField(name: "MediaContentType0", value: "gif", rule: "a media type such as image/jpeg")),
        ([:], [("From", "+15550000000")], .duplicateField("From")),
    ] as [([String: String?], [(String, String)], WebhookFieldError)])
    func invalid(changes: [String: String?], extra: [(String, String)], expected: WebhookFieldError) {
        #expect(throws: expected) { try InboundSMS(fields: Self.fields(replacing: changes, adding: extra)) }
    }

    @Test("unknown fields Twilio may add are ignored")
    func unknownFieldsIgnored() throws {
        let sms = try InboundSMS(fields: Self.fields(adding: [("FromCity", "NASHUA"), ("SomeFutureField", "x")]))
        #expect(sms.body == "Do you have the new Le Guin?")
    }

    @Test("an absent MessagingServiceSid is nil")
    func noService() throws {
        #expect(try InboundSMS(fields: Self.fields(replacing: ["MessagingServiceSid": nil])).messagingServiceSid == nil)
    }

    @Test("field error descriptions are precise and clipped")
    func descriptions() {
        #expect(WebhookFieldError.missingField("From").description == "required field 'From' is missing")
        let long = WebhookFieldError.invalidField(name: "From", value: String(repeating: "9", count: 5000), rule: "x").description
        #expect(long.count < 200)
    }
}

@Suite("Opt-out keywords")
struct OptOutTests {
    static func sms(body: String, optOutType: String? = nil) throws -> InboundSMS {
        var changes: [String: String?] = ["Body": body]
        if let optOutType { return try InboundSMS(fields: InboundSMSTests.fields(replacing: changes, adding: [("OptOutType", optOutType)])) }
        changes["OptOutType"] = nil
        return try InboundSMS(fields: InboundSMSTests.fields(replacing: changes))
    }

    @Test("bodies that are exactly a keyword, ignoring case and surrounding space", arguments: [
        ("STOP", OptOutKind.stop), ("stop", .stop), ("  Stop \n", .stop), ("STOPALL", .stop), ("unsubscribe", .stop),
        ("Cancel", .stop), ("END", .stop), ("quit", .stop), ("REVOKE", .stop), ("optout", .stop),
        ("START", .start), ("yes", .start), ("Unstop", .start),
        ("HELP", .help), ("info", .help), ("\tHelp\t", .help),
    ])
    func keywords(body: String, expected: OptOutKind) throws {
        #expect(try Self.sms(body: body).optOut == expected)
    }

    @Test("bodies that merely contain a keyword are ordinary messages", arguments: [
        "Stop texting me", "STOP.", "please stop", "S T O P", "", "yes please", "helpful", "ENDING", "information",
    ])
    func notKeywords(body: String) throws {
        #expect(try Self.sms(body: body).optOut == nil)
    }

    @Test("OptOutType from Twilio wins over the body", arguments: [
        ("STOP", "arrêt", OptOutKind.stop), ("START", "go", .start), ("HELP", "aide", .help), ("stop", "x", .stop),
    ])
    func optOutTypeWins(type: String, body: String, expected: OptOutKind) throws {
        let sms = try Self.sms(body: body, optOutType: type)
        #expect(sms.optOut == expected)
        #expect(sms.optOutType == type)
    }

    @Test("an unknown OptOutType falls back to the keyword lists")
    func unknownOptOutType() throws {
        #expect(try Self.sms(body: "Hello", optOutType: "SOMETHING_NEW").optOut == nil)
        #expect(try Self.sms(body: "quit", optOutType: "SOMETHING_NEW").optOut == .stop)
    }
}

@Suite("Status callbacks")
struct StatusCallbackTests {
    static let sid = "SM" + String(repeating: "f", count: 32)

    @Test("each status word maps to its case", arguments: [
        ("queued", MessageStatus.queued), ("sending", .sending), ("sent", .sent), ("delivered", .delivered),
        ("undelivered", .undelivered), ("failed", .failed), ("accepted", .accepted), ("scheduled", .scheduled),
        ("read", .read), ("canceled", .canceled), ("partially_delivered", .partiallyDelivered), ("brand_new", .other("brand_new")),
    ])
    func statuses(word: String, expected: MessageStatus) throws {
        let callback = try StatusCallback(fields: FormFields([("MessageSid", Self.sid), ("MessageStatus", word)]))
        #expect(callback.status == expected)
        #expect(callback.status.rawValue == word)
        #expect(callback.errorCode == nil)
    }

    @Test("a failure carries its error code")
    func failure() throws {
        let body = "SmsSid=\(Self.sid)&SmsStatus=undelivered&MessageStatus=undelivered&To=%2B15551234567&MessageSid=\(Self.sid)&AccountSid=AC\(String(repeating: "1", count: 32))&From=%2B15557654321&ErrorCode=30003&ApiVersion=2010-04-01"
        let callback = try StatusCallback(body: Array(body.utf8))
        #expect(callback.status == .undelivered)
        #expect(callback.status.isFailure)
        #expect(callback.errorCode == 30003)
        #expect(callback.to?.value == "+15551234567")
    }

    @Test("delivered and read count as delivered; failed, undelivered and canceled as failures")
    func classification() {
        #expect(MessageStatus.delivered.isDelivered && MessageStatus.read.isDelivered)
        #expect(!MessageStatus.sent.isDelivered && !MessageStatus.sent.isFailure)
        #expect(MessageStatus.failed.isFailure && MessageStatus.canceled.isFailure)
    }

    @Test("invalid callbacks are refused", arguments: [
        ([("MessageStatus", "sent")], WebhookFieldError.missingField("MessageSid")),
        ([("MessageSid", sid)], .missingField("MessageStatus")),
        ([("MessageSid", sid), ("MessageStatus", "")], .invalidField(name: "MessageStatus", value: "", rule: "a lower-case status word such as 'delivered'")),
        ([("MessageSid", sid), ("MessageStatus", "<script>")], .invalidField(name: "MessageStatus", value: "<script>", rule: "a lower-case status word such as 'delivered'")),
        ([("MessageSid", sid), ("MessageStatus", "failed"), ("ErrorCode", "3000x")], .invalidField(name: "ErrorCode", value: "3000x", rule: "a whole number from 0 to 99999999")),
        ([("MessageSid", sid), ("MessageStatus", "sent"), ("MessageStatus", "failed")], .duplicateField("MessageStatus")),
    ] as [([(String, String)], WebhookFieldError)])
    func invalid(pairs: [(String, String)], expected: WebhookFieldError) {
        #expect(throws: expected) { try StatusCallback(fields: FormFields(pairs)) }
    }
}
