/// Why a compiled zone file or a TZ string was refused, in words an admin can act on, e.g.
/// `TZif: 12 transition times announced but only 40 bytes remain`.
public struct TimeZoneDataError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
