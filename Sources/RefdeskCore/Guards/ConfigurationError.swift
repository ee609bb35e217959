/// Why a configuration change was refused. The message is meant for the admin who asked.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// An account would be both a gateway and a staffing JID (or two gateways, or two
    /// operators' staffing JIDs), which would route messages in a loop. Same words as LibraryH3lp.
    public static let accountInUse = ConfigurationError("That account is already in use")
}
