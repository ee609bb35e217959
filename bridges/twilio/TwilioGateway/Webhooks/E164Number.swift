/// A phone number in E.164 form: `+`, then 1 to 15 digits, the first not `0`.
///
/// Patrons are identified by their number across the whole system (the router escapes it
/// into a JID), so only one spelling may exist: anything else Twilio might send, such as a
/// short code or a `whatsapp:` address, is refused instead of creating a second identity.
public struct E164Number: Hashable, Sendable, CustomStringConvertible {
    /// The number including its leading `+`.
    public let value: String

    /// Parses `text`, or returns nil when it is not strictly E.164.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 16, utf8[0] == UInt8(ascii: "+") else { return nil }
        let digits = utf8.dropFirst()
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), digits.first != 0x30 else { return nil }
        value = text
    }

    public var description: String { value }

    /// What `init?(_:)` requires, for error messages.
    public static let rule = "'+' followed by 1 to 15 digits, the first not 0"
}
