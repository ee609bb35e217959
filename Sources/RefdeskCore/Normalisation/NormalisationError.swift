/// Why an address (phone number, screen name, JID) could not be normalised.
///
/// The message names the input and the exact problem, because it is shown to an admin
/// typing a gateway account or logged when a patron's address is unusable.
public struct NormalisationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of address was expected.
    public enum Kind: String, Hashable, Sendable {
        case phoneNumber = "phone number"
        case screenName = "AIM screen name"
        case jid = "JID"
        case account = "account"
    }

    public var kind: Kind
    public var input: String
    /// The problem, phrased to follow "is not a valid …:".
    public var reason: String

    public init(kind: Kind, input: String, reason: String) {
        self.kind = kind
        self.input = input
        self.reason = reason
    }

    public var description: String { "'\(input)' is not a valid \(kind.rawValue): \(reason)" }
}

extension StringProtocol where SubSequence == Substring {
    /// The string without leading and trailing whitespace (no Foundation needed).
    func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}
