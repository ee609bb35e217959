/// An incoming text, parsed from Twilio's messaging webhook.
///
/// Only what the bridge relies on is kept, and all of it is validated here, at the edge:
/// the router can trust that `from` is one canonical E.164 number, that `messageSid` is a
/// real message id (it is the de-duplication key), and that `media` is exactly what
/// `NumMedia` announced. Fields Twilio adds in future are ignored, as Twilio asks.
public struct InboundSMS: Sendable, Equatable {
    /// The message id (`SM…`, or `MM…` for MMS); stable across Twilio's retries.
    public let messageSid: String
    /// The Twilio account the message arrived on.
    public let accountSid: String
    /// The Messaging Service the receiving number belongs to, if any.
    public let messagingServiceSid: String?
    /// The patron's number.
    public let from: E164Number
    /// The library's Twilio number that received the text.
    public let to: E164Number
    /// The text as sent; may be empty (an MMS with only a picture).
    public let body: String
    /// Attachments, in Twilio's order.
    public let media: [InboundMedia]
    /// How many SMS segments the text arrived in, when Twilio says.
    public let numSegments: Int?
    /// Twilio's own opt-out reading (`OptOutType`), as sent.
    public let optOutType: String?
    /// The compliance keyword this text amounts to, from `OptOutType` or the body.
    public let optOut: OptOutKind?

    /// Twilio attaches at most this many media items to one message.
    public static let maximumMediaCount = 10

    /// Parses and validates the webhook's fields.
    public init(fields: FormFields) throws(WebhookFieldError) {
        let f = WebhookFields(fields: fields)
        messageSid = try f.sid("MessageSid", prefixes: TwilioSID.messagePrefixes)
        accountSid = try f.sid("AccountSid", prefixes: TwilioSID.accountPrefixes)
        messagingServiceSid = try f.optionalSID("MessagingServiceSid", prefixes: TwilioSID.messagingServicePrefixes)
        from = try f.phone("From")
        to = try f.phone("To")
        body = try f.required("Body")
        numSegments = try f.optionalCount("NumSegments", maximum: 1000)
        let numMedia = try f.optionalCount("NumMedia", maximum: Self.maximumMediaCount) ?? 0
        media = try Self.parseMedia(f, count: numMedia)
        optOutType = try f.optional("OptOutType")
        optOut = OptOutKind.detect(optOutType: optOutType, body: body)
    }

    /// Decodes a raw webhook body and parses it.
    ///
    /// - Throws: `FormError` for a malformed body, `WebhookFieldError` for invalid fields.
    public init(body: [UInt8], decoder: FormDecoder = FormDecoder()) throws {
        try self.init(fields: decoder.decode(bytes: body))
    }

    private static func parseMedia(_ f: WebhookFields, count: Int) throws(WebhookFieldError) -> [InboundMedia] {
        for pair in f.fields.pairs {
            guard let index = mediaIndex(of: pair.name) else { continue }
            if index >= count {
                throw .mediaMismatch("'\(pair.name)' is present but NumMedia is \(count)")
            }
        }
        var media: [InboundMedia] = []
        for index in 0..<count {
            let urlName = "MediaUrl\(index)"
            let typeName = "MediaContentType\(index)"
            guard let url = try f.optional(urlName) else {
                throw .mediaMismatch("NumMedia is \(count) but '\(urlName)' is missing")
            }
            guard let contentType = try f.optional(typeName) else {
                throw .mediaMismatch("NumMedia is \(count) but '\(typeName)' is missing")
            }
            guard url.hasPrefix("https://"), url.utf8.count > 8, !url.contains(where: \.isWhitespace) else {
                throw .invalidField(name: urlName, value: url, rule: "an https:// URL")
            }
            let typeParts = contentType.split(separator: "/", omittingEmptySubsequences: false)
            guard typeParts.count == 2, typeParts.allSatisfy({ !$0.isEmpty }), !contentType.contains(where: \.isWhitespace) else {
                throw .invalidField(name: typeName, value: contentType, rule: "a media type such as image/jpeg")
            }
            media.append(InboundMedia(url: url, contentType: contentType))
        }
        return media
    }

    /// The N of `MediaUrlN` / `MediaContentTypeN`, if `name` is one of them.
    private static func mediaIndex(of name: String) -> Int? {
        for prefix in ["MediaUrl", "MediaContentType"] where name.hasPrefix(prefix) {
            let digits = name.dropFirst(prefix.count)
            guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(digits)
        }
        return nil
    }
}

/// One attachment of an incoming MMS.
public struct InboundMedia: Sendable, Equatable {
    /// Where Twilio serves the file (fetching it needs the account's credentials).
    public let url: String
    /// Its media type, for example `image/jpeg`.
    public let contentType: String

    public init(url: String, contentType: String) {
        self.url = url
        self.contentType = contentType
    }
}
