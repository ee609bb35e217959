import OSCAR
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    /// The IM class from OSCAR-NOTES: window 20, clear 5100, alert 5000, limit 4000,
    /// disconnect 3000, starting full at 6000 ms.
    static let imClass = RateClass(
        id: 1, windowSize: 20, clearLevel: 5100, alertLevel: 5000, limitLevel: 4000,
        disconnectLevel: 3000, currentLevel: 6000, maxLevel: 6000
    )

    @Test func `a send updates the level as the server's moving average does`() {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: Self.imClass, now: start)
        limiter.recordSend(at: start)
        #expect(limiter.level == 5700)  // (6000 × 19 + 0) / 20
        limiter.recordSend(at: start.advanced(by: .milliseconds(2000)))
        #expect(limiter.level == 5515)  // (5700 × 19 + 2000) / 20
        limiter.recordSend(at: start.advanced(by: .seconds(3600)))
        #expect(limiter.level == 6000)  // capped at the maximum
    }

    @Test func `a full class lets the first messages go at once`() {
        let start = ContinuousClock.now
        let limiter = RateLimiter(rateClass: Self.imClass, now: start)
        #expect(limiter.delayBeforeNextSend(now: start) == .zero)
    }

    @Test func `a burst of 50 sends is paced and never nears the limit`() {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: Self.imClass, now: start)
        var now = start
        var immediate = 0
        var lowest = Int.max
        for _ in 0..<50 {
            let delay = limiter.delayBeforeNextSend(now: now)
            if delay == .zero { immediate += 1 }
            now = now.advanced(by: delay)
            lowest = min(lowest, limiter.levelAfterSend(at: now))
            limiter.recordSend(at: now)
        }
        #expect(immediate == 3)
        #expect(lowest >= Int(Self.imClass.clearLevel))
        #expect(lowest > Int(Self.imClass.limitLevel))
        // 47 paced sends at roughly the clear level apart.
        #expect(start.duration(to: now) > .seconds(200))
        #expect(start.duration(to: now) < .seconds(50 * 6))
    }

    @Test func `the same burst unpaced would be dropped and disconnected`() {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: Self.imClass, now: start)
        for _ in 0..<50 {
            limiter.recordSend(at: start)
        }
        #expect(limiter.level < Int(Self.imClass.disconnectLevel))
    }

    @Test func `a sender that waits part of the delay still waits the rest`() {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: Self.imClass, now: start)
        for _ in 0..<3 { limiter.recordSend(at: start) }
        let delay = limiter.delayBeforeNextSend(now: start)
        #expect(delay > .zero)
        let halfway = start.advanced(by: delay / 2)
        let remaining = limiter.delayBeforeNextSend(now: halfway)
        #expect(remaining > .zero)
        #expect(remaining <= delay - delay / 2 + .milliseconds(1))
        #expect(limiter.levelAfterSend(at: halfway.advanced(by: remaining)) >= Int(Self.imClass.clearLevel))
    }

    @Test func `extreme values from a server cannot overflow the arithmetic`() {
        let hostile = RateClass(
            id: 9, windowSize: .max, clearLevel: .max, alertLevel: .max, limitLevel: .max,
            disconnectLevel: .max, currentLevel: 0, maxLevel: .max
        )
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: hostile, now: start)
        let delay = limiter.delayBeforeNextSend(now: start)
        #expect(delay > .zero)
        limiter.recordSend(at: start.advanced(by: delay))
        #expect(limiter.level >= 0)
        let zeroWindow = RateClass(
            id: 9, windowSize: 0, clearLevel: 10, alertLevel: 5, limitLevel: 2,
            disconnectLevel: 1, currentLevel: 10, maxLevel: 10
        )
        #expect(RateLimiter(rateClass: zeroWindow, now: start).delayBeforeNextSend(now: start) == .milliseconds(10))
    }
}
