/// A delivery report for a message the bridge sent, parsed from Twilio's status callback.
///
/// The bridge turns these into the bridge protocol's delivery status (sent, delivered,
/// failed + reason), matching them to outbox entries by `messageSid`.
public struct StatusCallback: Sendable, Equatable {
    /// The id Twilio returned when the message was created.
    public let messageSid: String
    /// The new state.
    public let status: MessageStatus
    /// Twilio's error code, present for `failed` and `undelivered`.
    public let errorCode: Int?
    /// Twilio's error text, when it sends one.
    public let errorMessage: String?
    /// The account the message belongs to, when sent.
    public let accountSid: String?
    /// The patron's number, when sent.
    public let to: E164Number?

    /// Parses and validates the callback's fields.
    public init(fields: FormFields) throws(WebhookFieldError) {
        let f = WebhookFields(fields: fields)
        messageSid = try f.sid("MessageSid", prefixes: TwilioSID.messagePrefixes)
        let statusText = try f.required("MessageStatus")
        guard !statusText.isEmpty, statusText.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }) else {
            throw .invalidField(name: "MessageStatus", value: statusText, rule: "a lower-case status word such as 'delivered'")
        }
        status = MessageStatus(statusText)
        errorCode = try f.optionalCount("ErrorCode", maximum: 99_999_999)
        errorMessage = try f.optional("ErrorMessage").flatMap { $0.isEmpty ? nil : $0 }
        accountSid = try f.optionalSID("AccountSid", prefixes: TwilioSID.accountPrefixes)
        to = try f.optionalPhone("To")
    }

    /// Decodes a raw callback body and parses it.
    ///
    /// - Throws: `FormError` for a malformed body, `WebhookFieldError` for invalid fields.
    public init(body: [UInt8], decoder: FormDecoder = FormDecoder()) throws {
        try self.init(fields: decoder.decode(bytes: body))
    }
}
