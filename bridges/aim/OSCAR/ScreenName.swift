/// An AIM screen name, compared the way servers compare them.
///
/// Servers return names in whatever capitalisation and spacing the owner last chose
/// ("Ref Desk", "refdesk"), so equality and hashing use the normalised form while the
/// display form is kept for showing to people.
public struct ScreenName: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The name as given, for display.
    public let displayName: String
    /// Lower-cased with spaces removed: the identity of the account.
    public let normalized: String

    public init(_ displayName: String) {
        self.displayName = displayName
        self.normalized = Self.normalize(displayName)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// Folds case and drops spaces, so "Ref Desk" and "refdesk" name the same account.
    public static func normalize(_ name: String) -> String {
        String(name.lowercased().filter { $0 != " " })
    }

    public static func == (lhs: ScreenName, rhs: ScreenName) -> Bool {
        lhs.normalized == rhs.normalized
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalized)
    }

    public var description: String { displayName }
}
