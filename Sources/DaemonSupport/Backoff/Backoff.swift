/// Delays between reconnection attempts: exponential growth up to a cap, with random jitter.
///
/// Growth keeps a daemon from hammering a peer that is down; the cap bounds how long recovery takes
/// once the peer is back; jitter keeps several bridges restarted together from retrying in lockstep.
/// Defaults: 100 ms, doubling, capped at 30 s, ±20 %.
///
/// Attempt *n* (from 0) returns `min(maximum, initial × factorⁿ × (1 + u))` for a uniform `u` in
/// `[-jitter, +jitter)`: the cap holds after jitter too, so no delay ever exceeds `maximum`.
public struct Backoff: Sendable {
    /// The delay before the first retry (and after ``reset()``).
    public let initial: Duration
    /// How much each delay grows over the previous one.
    public let factor: Double
    /// The longest delay ever returned.
    public let maximum: Duration
    /// The relative random spread, 0.2 for ±20 %.
    public let jitter: Double
    private var random: any RandomNumberGenerator & Sendable
    private var attempt = 0
    /// The un-jittered delay of the next attempt.
    private var base: Duration

    /// - Parameters:
    ///   - factor: growth per attempt, at least 1.
    ///   - jitter: the relative spread, clamped to `0...1`.
    ///   - random: the random source; tests pass a seeded ``SplitMix64`` for reproducible delays.
    public init(
        initial: Duration = .milliseconds(100),
        factor: Double = 2,
        maximum: Duration = .seconds(30),
        jitter: Double = 0.2,
        random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        self.initial = max(.zero, min(initial, maximum))
        self.factor = factor.isFinite ? max(1, factor) : 1
        self.maximum = max(.zero, maximum)
        self.jitter = jitter.isFinite ? min(1, max(0, jitter)) : 0
        self.random = random
        self.base = self.initial
    }

    /// The number of delays handed out since the last ``reset()``.
    public var attempts: Int { attempt }

    /// The delay before the next attempt; grows for the one after.
    public mutating func next() -> Duration {
        let unit = Double(random.next() >> 11) * 0x1p-53  // uniform in [0, 1)
        let scale = 1 + jitter * (2 * unit - 1)
        let delay = min(maximum, base * scale)
        attempt += 1
        base = base >= maximum ? maximum : min(maximum, base * factor)
        return delay
    }

    /// Back to the initial delay, after a connection succeeded.
    public mutating func reset() {
        attempt = 0
        base = initial
    }
}
