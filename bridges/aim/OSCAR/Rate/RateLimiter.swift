/// Paces sends so that a rate class's moving average never falls to a level where the server
/// drops messages or disconnects, while spending what the class allows.
///
/// OSCAR servers keep, per rate class, a level: the average milliseconds between SNACs over
/// the last `windowSize` SNACs. Each SNAC updates it as
/// `level = min(max, (level × (window − 1) + elapsed) / window)`, where `elapsed` is the time
/// since the previous SNAC. Below `alertLevel` the server only warns (a rate change notice);
/// below `limitLevel` it drops the class's SNACs silently until the level is back above
/// `clearLevel`, and below `disconnectLevel` it disconnects.
///
/// This limiter mirrors that computation and keeps every send at or above `floorLevel`, high enough
/// that the server never even warns. Within that, ``delayBeforeNextSend(now:waitingSince:)``
/// sends at once while a further send would still be possible right after, and holds back the last
/// send the level allows for `coalescingWindow`, so that lines arriving meanwhile for the same
/// patron go in the same IM instead of waiting a whole refill each. With AIM's IM class (window 20,
/// alert 5000 ms, max 6000 ms) five lines typed 0.1 s apart reach the patron within 0.6 s in two IMs,
/// and a sustained stream gets one IM every ~5.2 s, each carrying what queued meanwhile. It holds no
/// clock: callers pass the current instant, which keeps it deterministic under test.
public struct RateLimiter<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public let rateClass: RateClass
    /// The level (ms) as the server computed it after the last recorded send.
    public private(set) var level: Int
    private var lastEvent: Instant

    /// Starts from the level the server reported at `now` (when the 0x01/0x07 reply arrived).
    public init(rateClass: RateClass, now: Instant) {
        self.rateClass = rateClass
        self.level = Self.bounded(min(rateClass.currentLevel, rateClass.maxLevel))
        self.lastEvent = now
    }

    /// Levels beyond this (about 2.8 hours between SNACs) are treated as this, so values a
    /// server sends cannot overflow the arithmetic.
    static var maximumLevel: Int { 10_000_000 }
    /// Windows beyond this are treated as this, for the same reason.
    static var maximumWindow: Int { 10_000 }

    private static func bounded(_ value: UInt32) -> Int {
        min(Int(value), maximumLevel)
    }

    private var window: Int { min(max(1, Int(rateClass.windowSize)), Self.maximumWindow) }
    private var maxLevel: Int { Self.bounded(rateClass.maxLevel) }

    /// The level every send must keep, so the server never even warns. Servers report a class's standing
    /// after a second of silence from the client by computing the level a SNAC arriving then would give
    /// (`(level × (w − 1) + 1000) / w`), so the floor is the level from which that stays at or above the
    /// alert level, and at least the clear level; plus a margin of `w` (about 400 ms of difference between
    /// when a SNAC leaves here and when the server counts it). For AIM's IM class: 5231. It cannot exceed
    /// the maximum the level is capped at.
    public var floorLevel: Int {
        let alert = Self.bounded(rateClass.alertLevel)
        let afterASilentSecond = (alert * window - Self.observationDelay + window - 2) / max(window - 1, 1)
        return min(max(Self.bounded(rateClass.clearLevel), alert + 1, afterASilentSecond) + window, maxLevel)
    }

    /// After how much silence (ms) a server looks at the client's standing in each class.
    static var observationDelay: Int { 1000 }

    /// How long the last send the level allows is held back to gather lines arriving meanwhile.
    public static var coalescingWindow: Duration { .milliseconds(500) }

    /// Takes the server's own view of the level (from a rate change notice) when it is lower
    /// than this limiter's, so a difference in counting never accumulates.
    public mutating func adopt(serverLevel: UInt32) {
        level = min(level, Self.bounded(serverLevel))
    }

    /// How long to wait from `now` before sending what has waited since `waitingSince`: until a send keeps the
    /// level at or above `floorLevel`; and, when that send would be the last one the level allows for a while
    /// (another straight after it would fall below the floor), until `coalescingWindow` after `waitingSince`, so
    /// that what arrives meanwhile goes with it. Zero: send now.
    public func delayBeforeNextSend(now: Instant, waitingSince: Instant) -> Duration {
        let refill = delayBeforeNextSend(now: now)
        guard refill == .zero else { return refill }
        let after = levelAfterSend(at: now)
        let another = (after * (window - 1)) / window
        guard another < floorLevel else { return .zero }
        let gathered = waitingSince.duration(to: now)
        return gathered >= Self.coalescingWindow ? .zero : Self.coalescingWindow - gathered
    }

    /// How long to wait from `now` so that a send then keeps the level at or above
    /// `floorLevel`; zero when sending immediately is safe.
    public func delayBeforeNextSend(now: Instant) -> Duration {
        // Solve (level × (w − 1) + elapsed) / w ≥ floor for elapsed.
        let requiredElapsed = floorLevel * window - level * (window - 1)
        let shortfall = requiredElapsed - milliseconds(from: lastEvent, to: now)
        return shortfall > 0 ? .milliseconds(shortfall) : .zero
    }

    /// The level a send at `now` would produce.
    public func levelAfterSend(at now: Instant) -> Int {
        let elapsed = milliseconds(from: lastEvent, to: now)
        let updated = (level * (window - 1) + elapsed) / window
        return min(updated, maxLevel)
    }

    /// Records a send at `now`, updating the level as the server will.
    public mutating func recordSend(at now: Instant) {
        level = levelAfterSend(at: now)
        if lastEvent < now {
            lastEvent = now
        }
    }

    private func milliseconds(from start: Instant, to end: Instant) -> Int {
        guard start < end else { return 0 }
        let components = start.duration(to: end).components
        // Anything longer than a window of maximum levels refills the class completely.
        let cap = Int64(Self.maximumLevel * Self.maximumWindow)
        guard components.seconds < cap / 1000 else { return Int(cap) }
        return Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
