/// E.164 phone numbers, the form Twilio uses and the form refdesk compares SMS accounts in.
public enum PhoneNumber {
    /// Characters people type between digits; they are ignored.
    static let separators: Set<Character> = [" ", "-", "(", ")", ".", "/", "\u{00A0}"]

    /// Normalises a phone number to E.164 (`+` and 7 to 15 digits).
    ///
    /// - A leading `+` (or `00`) means the number already carries its country code.
    /// - Otherwise the number is national to `defaultCountryCode`: a leading trunk `0` is
    ///   dropped and the country code prepended, unless the digits already start with the
    ///   country code and are longer than a 10-digit national number (`15551234567` with
    ///   country code 1).
    ///
    /// So `+1 (555) 123-4567`, `15551234567` and `555.123.4567` all become `+15551234567`.
    public static func normalise(_ raw: String, defaultCountryCode: String = "1") throws(NormalisationError) -> String {
        func failure(_ reason: String) -> NormalisationError {
            NormalisationError(kind: .phoneNumber, input: raw, reason: reason)
        }
        var text = raw.trimmingWhitespace()
        if text.lowercased().hasPrefix("tel:") { text = text.dropFirst(4) }
        if text.isEmpty { throw failure("it is empty") }

        var international = false
        var digits = ""
        for (offset, character) in text.enumerated() {
            if character == "+" {
                guard offset == 0 else { throw failure("a '+' may only come first") }
                international = true
            } else if character.isASCIIDigit {
                digits.append(character)
            } else if !separators.contains(character) {
                throw failure("it contains '\(character)', which is neither a digit nor a separator")
            }
        }
        if digits.isEmpty { throw failure("it has no digits") }

        if !international {
            if digits.hasPrefix("00") {
                digits.removeFirst(2)
            } else if digits.hasPrefix("0") {
                digits.removeFirst()
                digits = defaultCountryCode + digits
            } else if !(digits.hasPrefix(defaultCountryCode) && digits.count > 10) {
                digits = defaultCountryCode + digits
            }
        }
        if digits.hasPrefix("0") { throw failure("a country code cannot start with 0") }
        if digits.count < 7 { throw failure("it has \(digits.count) digits, at least 7 are needed") }
        if digits.count > 15 { throw failure("it has \(digits.count) digits, E.164 allows at most 15") }
        return "+" + digits
    }
}
