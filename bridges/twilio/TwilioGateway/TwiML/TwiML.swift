/// The TwiML documents the webhook answers Twilio with.
///
/// The bridge acknowledges every inbound text with `emptyResponse` (replies go out through
/// the REST API once a librarian writes them) and can answer with `<Message>` for the
/// immediate automatic replies. Text is escaped so that a patron's `<` or `&` can never
/// change the document.
public enum TwiML {
    /// The `Content-Type` of every TwiML answer.
    public static let contentType = "text/xml; charset=utf-8"

    /// "Received; nothing to send now."
    public static let emptyResponse = #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#

    /// A response that sends each message, in order.
    public static func response(_ messages: [TwiMLMessage]) -> String {
        var document = #"<?xml version="1.0" encoding="UTF-8"?><Response>"#
        for message in messages {
            document += "<Message"
            if let to = message.to { document += #" to=""# + escapeAttribute(to.value) + #"""# }
            if let from = message.from { document += #" from=""# + escapeAttribute(from.value) + #"""# }
            document += ">" + escapeText(message.body) + "</Message>"
        }
        return document + "</Response>"
    }

    /// Escapes character data: `&`, `<` and `>`; characters XML 1.0 cannot carry become U+FFFD.
    public static func escapeText(_ text: String) -> String {
        escape(text, quotes: false)
    }

    /// Escapes an attribute value in double quotes: additionally `"` and `'`.
    public static func escapeAttribute(_ text: String) -> String {
        escape(text, quotes: true)
    }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var output = ""
        output.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"" where quotes: output += "&quot;"
            case "'" where quotes: output += "&apos;"
            default:
                output.unicodeScalars.append(isXMLCharacter(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return output
    }

    /// XML 1.0's `Char` production.
    static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}

/// One `<Message>` verb.
public struct TwiMLMessage: Sendable, Equatable {
    /// The text to send.
    public var body: String
    /// Recipient; Twilio defaults to the sender of the inbound text.
    public var to: E164Number?
    /// Sender; Twilio defaults to the number that received the inbound text.
    public var from: E164Number?

    public init(body: String, to: E164Number? = nil, from: E164Number? = nil) {
        self.body = body
        self.to = to
        self.from = from
    }
}
