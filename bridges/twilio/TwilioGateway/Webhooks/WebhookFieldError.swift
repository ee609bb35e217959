/// Why the fields of a decoded webhook do not make a valid message or status report.
///
/// Raised after form decoding succeeded; each case names the field so the bridge can log
/// one precise line and answer Twilio with an error instead of forwarding garbage.
public enum WebhookFieldError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field every such webhook carries is absent.
    case missingField(String)
    /// A field that must appear once appeared more than once.
    case duplicateField(String)
    /// A field is present but its value breaks the stated rule.
    case invalidField(name: String, value: String, rule: String)
    /// `NumMedia` disagrees with the `MediaUrlN` / `MediaContentTypeN` fields.
    case mediaMismatch(String)

    public var description: String {
        switch self {
        case let .missingField(name):
            return "required field '\(name)' is missing"
        case let .duplicateField(name):
            return "field '\(name)' appears more than once"
        case let .invalidField(name, value, rule):
            return "field '\(name)' has the invalid value '\(Self.clip(value))': expected \(rule)"
        case let .mediaMismatch(detail):
            return "media fields are inconsistent: \(detail)"
        }
    }

    /// Keeps log lines short when a hostile value is huge.
    private static func clip(_ value: String) -> String {
        value.count <= 64 ? value : String(value.prefix(64)) + "…"
    }
}

/// Typed access to the fields of a webhook, turning form errors into field errors.
struct WebhookFields {
    let fields: FormFields

    func optional(_ name: String) throws(WebhookFieldError) -> String? {
        do {
            return try fields.value(name)
        } catch {
            throw .duplicateField(name)
        }
    }

    func required(_ name: String) throws(WebhookFieldError) -> String {
        guard let value = try optional(name) else { throw .missingField(name) }
        return value
    }

    func sid(_ name: String, prefixes: [String]) throws(WebhookFieldError) -> String {
        let value = try required(name)
        guard TwilioSID.isValid(value, prefixes: prefixes) else {
            throw .invalidField(name: name, value: value, rule: TwilioSID.rule(prefixes))
        }
        return value
    }

    func optionalSID(_ name: String, prefixes: [String]) throws(WebhookFieldError) -> String? {
        guard let value = try optional(name), !value.isEmpty else { return nil }
        guard TwilioSID.isValid(value, prefixes: prefixes) else {
            throw .invalidField(name: name, value: value, rule: TwilioSID.rule(prefixes))
        }
        return value
    }

    func phone(_ name: String) throws(WebhookFieldError) -> E164Number {
        let value = try required(name)
        guard let number = E164Number(value) else {
            throw .invalidField(name: name, value: value, rule: "an E.164 number: " + E164Number.rule)
        }
        return number
    }

    func optionalPhone(_ name: String) throws(WebhookFieldError) -> E164Number? {
        guard let value = try optional(name), !value.isEmpty else { return nil }
        guard let number = E164Number(value) else {
            throw .invalidField(name: name, value: value, rule: "an E.164 number: " + E164Number.rule)
        }
        return number
    }

    /// A non-negative decimal integer no larger than `maximum`; empty counts as absent.
    func optionalCount(_ name: String, maximum: Int) throws(WebhookFieldError) -> Int? {
        guard let value = try optional(name), !value.isEmpty else { return nil }
        guard value.utf8.count <= 9, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let number = Int(value), number <= maximum
        else {
            throw .invalidField(name: name, value: value, rule: "a whole number from 0 to \(maximum)")
        }
        return number
    }
}
