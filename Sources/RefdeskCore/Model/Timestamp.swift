/// A moment in time, in milliseconds since the Unix epoch.
///
/// The core never reads a clock: every event carries the `Timestamp` at which it happened,
/// so the daemon decides what "now" is and tests can drive time by hand.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public init(from decoder: any Decoder) throws {
        millisecondsSinceEpoch = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(millisecondsSinceEpoch)
    }

    public var description: String { "\(millisecondsSinceEpoch) ms" }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The moment `duration` after `lhs` (rounded down to whole milliseconds).
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch &+ rhs.wholeMilliseconds)
    }

    /// The moment `duration` before `lhs` (rounded down to whole milliseconds).
    public static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: lhs.millisecondsSinceEpoch &- rhs.wholeMilliseconds)
    }

    /// The time elapsed from `rhs` to `lhs`; negative when `rhs` is later.
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .milliseconds(lhs.millisecondsSinceEpoch &- rhs.millisecondsSinceEpoch)
    }
}

extension Duration {
    /// This duration in whole milliseconds, rounded towards zero.
    ///
    /// Timestamps have millisecond resolution, so this is the one conversion the core needs.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
    }
}
