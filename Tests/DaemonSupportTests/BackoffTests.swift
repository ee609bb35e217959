import DaemonSupport
import Testing

@Suite("Backoff: capped exponential delays with jitter")
struct BackoffTests {
    /// The un-jittered delay of attempt `n` with the defaults: 100 ms × 2ⁿ, at most 30 s.
    func base(_ attempt: Int) -> Duration {
        min(.seconds(30), .milliseconds(100) * (1 << min(attempt, 20)))
    }

    @Test("each delay stays within ±20 % of its doubling base and never exceeds 30 s", arguments: [1, 2, 3, 42, 9999] as [UInt64])
    func bounds(seed: UInt64) {
        var backoff = Backoff(random: SplitMix64(seed: seed))
        for attempt in 0..<40 {
            let delay = backoff.next()
            #expect(delay >= base(attempt) * 0.8, "attempt \(attempt): \(delay)")
            #expect(delay <= min(.seconds(30), base(attempt) * 1.2), "attempt \(attempt): \(delay)")
        }
        #expect(backoff.attempts == 40)
    }

    @Test("once capped, delays spread over 24 to 30 seconds")
    func cappedSpread() {
        var backoff = Backoff(random: SplitMix64(seed: 7))
        for _ in 0..<15 { _ = backoff.next() }
        let capped = (0..<200).map { _ in backoff.next() }
        #expect(capped.allSatisfy { $0 >= .seconds(24) && $0 <= .seconds(30) })
        #expect(capped.min().map { $0 < .seconds(25) } == true, "jitter reaches the low end")
        #expect(capped.contains(.seconds(30)), "jitter above the cap is clamped to it")
    }

    @Test("jitter actually varies the delays")
    func jitterVaries() {
        var backoff = Backoff(random: SplitMix64(seed: 11))
        let first = (0..<50).map { _ in
            backoff.reset()
            return backoff.next()
        }
        #expect(Set(first).count > 40)
        #expect(first.allSatisfy { $0 >= .milliseconds(80) && $0 <= .milliseconds(120) })
    }

    @Test("the same seed gives the same delays")
    func reproducible() {
        var a = Backoff(random: SplitMix64(seed: 5))
        var b = Backoff(random: SplitMix64(seed: 5))
        #expect((0..<20).map { _ in a.next() } == (0..<20).map { _ in b.next() })
    }

    @Test("reset starts again from the initial delay")
    func resetStartsOver() {
        var backoff = Backoff(random: SplitMix64(seed: 3))
        for _ in 0..<10 { _ = backoff.next() }
        #expect(backoff.next() >= .seconds(24))
        backoff.reset()
        #expect(backoff.attempts == 0)
        let delay = backoff.next()
        #expect(delay >= .milliseconds(80) && delay <= .milliseconds(120))
    }

    @Test("without jitter the delays are exactly the doubling sequence up to the cap")
    func noJitter() {
        var backoff = Backoff(initial: .seconds(1), factor: 3, maximum: .seconds(20), jitter: 0, random: SplitMix64(seed: 1))
        #expect((0..<5).map { _ in backoff.next() } == [.seconds(1), .seconds(3), .seconds(9), .seconds(20), .seconds(20)])
    }

    @Test("the default random source works too")
    func systemRandom() {
        var backoff = Backoff()
        let delay = backoff.next()
        #expect(delay >= .milliseconds(80) && delay <= .milliseconds(120))
    }
}
