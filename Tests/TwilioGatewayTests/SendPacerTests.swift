import Testing
import TwilioGateway

/// A hand-driven instant: tests move time explicitly.
struct TestInstant: InstantProtocol {
    var offset: Duration

    static func seconds(_ value: Double) -> TestInstant { TestInstant(offset: .seconds(value)) }
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}

@Suite("Send pacing")
struct SendPacerTests {
    let library = "+15557654321"
    let other = "+15550000000"

    @Test("at the default one segment per second, back-to-back sends wait 0, 1, 2 seconds")
    func defaultRate() {
        var pacer = SendPacer<TestInstant>()
        let t0 = TestInstant.seconds(100)
        #expect(pacer.reserve(segments: 1, from: library, at: t0) == .zero)
        #expect(pacer.reserve(segments: 1, from: library, at: t0) == .seconds(1))
        #expect(pacer.reserve(segments: 1, from: library, at: t0) == .seconds(2))
    }

    @Test("a multi-segment message uses capacity for each segment")
    func segmentsCount() {
        var pacer = SendPacer<TestInstant>()
        let t0 = TestInstant.seconds(0)
        #expect(pacer.reserve(segments: 3, from: library, at: t0) == .zero)
        #expect(pacer.reserve(segments: 1, from: library, at: t0.advanced(by: .seconds(1))) == .seconds(2))
    }

    @Test("capacity refills with time")
    func refills() {
        var pacer = SendPacer<TestInstant>()
        #expect(pacer.reserve(segments: 2, from: library, at: .seconds(0)) == .zero)
        #expect(pacer.reserve(segments: 1, from: library, at: .seconds(5)) == .zero)
        #expect(pacer.delay(segments: 1, from: library, at: .seconds(5.25)) == .milliseconds(750))
    }

    @Test("numbers are paced independently")
    func perNumber() {
        var pacer = SendPacer<TestInstant>()
        #expect(pacer.reserve(segments: 5, from: library, at: .seconds(0)) == .zero)
        #expect(pacer.reserve(segments: 1, from: other, at: .seconds(0)) == .zero)
        #expect(pacer.reserve(segments: 1, from: library, at: .seconds(0)) == .seconds(5))
    }

    @Test("a configured rate and burst", arguments: [
        (4.0, 1, [0.0, 0.25, 0.5, 0.75]),
        (1.0, 3, [0.0, 0.0, 0.0, 1.0, 2.0]),
        (10.0, 2, [0.0, 0.0, 0.1, 0.2]),
    ])
    func configured(rate: Double, burst: Int, expected: [Double]) {
        var pacer = SendPacer<TestInstant>(segmentsPerSecond: rate, burstSegments: burst)
        let delays = expected.map { _ in pacer.reserve(segments: 1, from: library, at: .seconds(0)) }
        for (delay, seconds) in zip(delays, expected) {
            let difference = delay - .seconds(seconds)
            #expect(difference < .microseconds(1) && difference > .microseconds(-1), "got \(delay), expected \(seconds) s")
        }
    }

    @Test("peeking does not book capacity")
    func peek() {
        var pacer = SendPacer<TestInstant>()
        _ = pacer.reserve(segments: 1, from: library, at: .seconds(0))
        #expect(pacer.delay(segments: 1, from: library, at: .seconds(0)) == .seconds(1))
        #expect(pacer.delay(segments: 1, from: library, at: .seconds(0)) == .seconds(1))
    }

    @Test("nonsensical settings fall back to safe values")
    func sanitised() {
        let pacer = SendPacer<TestInstant>(segmentsPerSecond: 0, burstSegments: -4)
        #expect(pacer.segmentsPerSecond == 1)
        #expect(pacer.burstSegments == 1)
        #expect(SendPacer<TestInstant>(segmentsPerSecond: .nan).segmentsPerSecond == 1)
    }

    @Test("idle numbers are forgotten")
    func forgetting() {
        var pacer = SendPacer<TestInstant>()
        _ = pacer.reserve(segments: 1, from: library, at: .seconds(0))
        _ = pacer.reserve(segments: 10, from: other, at: .seconds(0))
        pacer.forgetIdle(at: .seconds(2))
        #expect(pacer.trackedNumbers == 1)
        #expect(pacer.reserve(segments: 1, from: library, at: .seconds(2)) == .zero)
    }

    @Test("works with the real continuous clock's instants")
    func continuousClock() {
        var pacer = SendPacer<ContinuousClock.Instant>()
        let now = ContinuousClock.now
        _ = pacer.reserve(segments: 1, from: library, at: now)
        #expect(pacer.reserve(segments: 1, from: library, at: now) == .seconds(1))
    }
}
