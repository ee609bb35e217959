/// Why an `application/x-www-form-urlencoded` body was refused.
///
/// Webhook bodies come from the network, so every way they can be malformed or oversized has
/// its own case; `description` names the offending field or byte offset so that a log line is
/// enough to understand a rejected request without replaying it.
public enum FormError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The raw body is longer than `FormLimits.maximumBodyBytes`.
    case bodyTooLarge(size: Int, limit: Int)
    /// The body has more `&`-separated fields than `FormLimits.maximumFieldCount`.
    case tooManyFields(limit: Int)
    /// A decoded name is longer than `FormLimits.maximumNameBytes`.
    case nameTooLong(fieldIndex: Int, length: Int, limit: Int)
    /// A decoded value is longer than `FormLimits.maximumValueBytes`.
    case valueTooLong(name: String, length: Int, limit: Int)
    /// A `%` is followed by something other than two hexadecimal digits.
    case invalidPercentEscape(offset: Int, escape: String)
    /// A field ends (at `&` or the end of the body) inside a `%XX` escape.
    case truncatedPercentEscape(offset: Int)
    /// The bytes of a name or value, once percent-decoded, are not UTF-8.
    case invalidUTF8(fieldIndex: Int, part: FieldPart)
    /// A name or value holds a control character (NUL, ESC, DEL, …) that no Twilio field carries.
    case controlCharacter(fieldIndex: Int, part: FieldPart, scalar: UInt32)
    /// A field has an empty name, as in `=value` or `&=&`.
    case emptyName(fieldIndex: Int)
    /// A name that may appear only once appeared again.
    case duplicateName(String)

    /// Which half of a `name=value` pair an error is about.
    public enum FieldPart: String, Sendable {
        case name
        case value
    }

    public var description: String {
        switch self {
        case let .bodyTooLarge(size, limit):
            return "form body of \(size) bytes exceeds the maximum \(limit)"
        case let .tooManyFields(limit):
            return "form body has more than the maximum \(limit) fields"
        case let .nameTooLong(index, length, limit):
            return "name of field \(index) is \(length) bytes, exceeding the maximum \(limit)"
        case let .valueTooLong(name, length, limit):
            return "value of field '\(name)' is \(length) bytes, exceeding the maximum \(limit)"
        case let .invalidPercentEscape(offset, escape):
            return "invalid percent escape '\(escape)' at byte \(offset): '%' must be followed by two hexadecimal digits"
        case let .truncatedPercentEscape(offset):
            return "truncated percent escape at byte \(offset): the field ends before two hexadecimal digits follow '%'"
        case let .invalidUTF8(index, part):
            return "\(part.rawValue) of field \(index) is not valid UTF-8 after percent-decoding"
        case let .controlCharacter(index, part, scalar):
            let hex = String(scalar, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            return "\(part.rawValue) of field \(index) contains the control character U+\(padded)"
        case let .emptyName(index):
            return "field \(index) has an empty name"
        case let .duplicateName(name):
            return "field '\(name)' appears more than once"
        }
    }
}
