/// When a send that failed for a passing reason is tried again: exponential growth from `initial`,
/// capped at `maximum`, varied by ±`jitter` so many waiting messages do not retry in lockstep.
public struct RetrySchedule: Sendable, Equatable {
    public let initial: Duration
    public let maximum: Duration
    public let jitter: Double

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(300), jitter: Double = 0.2) {
        self.initial = max(.milliseconds(1), initial)
        self.maximum = max(self.initial, maximum)
        self.jitter = jitter.isFinite ? min(1, max(0, jitter)) : 0
    }

    /// The wait after the `failures`-th failure (1 for the first), for a uniform `unit` in `[0, 1)`.
    public func delay(afterFailures failures: Int, unit: Double) -> Duration {
        let exponent = max(0, min(failures - 1, 40))
        let base = min(maximum, initial * Double(1 << min(exponent, 30)))
        let scale = 1 + jitter * (2 * min(max(unit, 0), 1) - 1)
        return min(maximum, base * scale)
    }
}
