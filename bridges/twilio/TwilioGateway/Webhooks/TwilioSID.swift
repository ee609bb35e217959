/// Checks of Twilio's resource identifiers: a two-letter prefix and 32 hexadecimal digits.
///
/// Identifiers end up in REST paths and in the router's de-duplication table, so a value
/// that is not shaped like one is refused at the edge.
public enum TwilioSID {
    /// Whether `text` is a SID with one of the given prefixes (for example `["SM", "MM"]`).
    public static func isValid(_ text: String, prefixes: [String]) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 34 else { return false }
        guard prefixes.contains(where: { text.hasPrefix($0) }) else { return false }
        return bytes.dropFirst(2).allSatisfy { ASCII.hexValue($0) != nil }
    }

    /// A message: `SM…` for SMS, `MM…` for MMS.
    public static let messagePrefixes = ["SM", "MM"]
    /// An account: `AC…`.
    public static let accountPrefixes = ["AC"]
    /// A messaging service: `MG…`.
    public static let messagingServicePrefixes = ["MG"]

    /// The rule, for error messages.
    static func rule(_ prefixes: [String]) -> String {
        prefixes.joined(separator: " or ") + " followed by 32 hexadecimal digits"
    }
}
