import OSCAR
import Testing

@Suite("Rate limiter")
struct RateLimiterTests {
    /// AIM's default IM class (class 3): window 20, clear 5100, alert 5000, limit 4000,
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

    /// Lines arriving at `arrivals` (ms after the start), sent as the limiter says: each send carries every line
    /// that has arrived by then. Returns when each send went (ms), how many lines it carried, and the lowest level.
    static func simulate(_ arrivals: [Int]) -> (sends: [(at: Int, lines: Int)], lowest: Int) {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: imClass, now: start)
        var sends: [(at: Int, lines: Int)] = []
        var lowest = Int.max
        var next = 0
        var now = 0
        while next < arrivals.count {
            now = max(now, arrivals[next])
            let instant = start.advanced(by: .milliseconds(now))
            let delay = limiter.delayBeforeNextSend(now: instant, waitingSince: start.advanced(by: .milliseconds(arrivals[next])))
            if delay > .zero {
                now += Int(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
                continue
            }
            let carried = arrivals[next...].prefix { $0 <= now }.count
            lowest = min(lowest, limiter.levelAfterSend(at: instant))
            limiter.recordSend(at: instant)
            sends.append((now, carried))
            next += carried
        }
        return (sends, lowest)
    }

    @Test func `the floor keeps even the server's look after a silent second above the alert level`() {
        let limiter = RateLimiter(rateClass: Self.imClass, now: ContinuousClock.now)
        // (floor × 19 + 1000) / 20 ≥ 5000 needs 5211; plus the margin of 20.
        #expect(limiter.floorLevel == 5231)
        #expect((limiter.floorLevel * 19 + 1000) / 20 >= Int(Self.imClass.alertLevel))
        #expect(limiter.floorLevel >= Int(Self.imClass.clearLevel))
    }

    @Test func `five lines typed 0.1 s apart reach the patron within 0.7 s, in two or three IMs, above the floor`() {
        let (sends, lowest) = Self.simulate([0, 100, 200, 300, 400])
        #expect(sends.map(\.lines).reduce(0, +) == 5)
        #expect(sends.count <= 3)
        #expect(sends.last!.at <= 700)
        #expect(lowest >= 5231)
    }

    @Test func `thirty lines 30 ms apart go in a handful of IMs within five seconds, never below the floor`() {
        let (sends, lowest) = Self.simulate((0..<30).map { $0 * 30 })
        #expect(sends.map(\.lines).reduce(0, +) == 30)
        #expect(sends.count <= 5)
        #expect(sends.last!.at < 5_000)
        #expect(lowest >= 5231)
    }

    @Test func `a single line to a rested class goes at once`() {
        let (sends, _) = Self.simulate([0])
        #expect(sends.map(\.at) == [0])
    }

    @Test func `a steady stream settles at one IM a refill apart, each carrying what queued meanwhile`() {
        let (sends, lowest) = Self.simulate((0..<100).map { $0 * 200 })
        #expect(lowest >= 5231)
        let steady = Array(sends.dropFirst(3).dropLast())
        let gaps = zip(steady, steady.dropFirst()).map { $1.at - $0.at }
        #expect(!gaps.isEmpty && gaps.allSatisfy { (5_150...5_300).contains($0) }, "\(sends)")
        #expect(steady.dropFirst().allSatisfy { $0.lines >= 20 }, "\(sends)")
    }

    @Test func `the server's lower level is adopted, a higher one is not`() {
        let start = ContinuousClock.now
        var limiter = RateLimiter(rateClass: Self.imClass, now: start)
        limiter.recordSend(at: start)
        limiter.adopt(serverLevel: 4600)
        #expect(limiter.level == 4600)
        limiter.adopt(serverLevel: 6000)
        #expect(limiter.level == 4600)
        #expect(limiter.delayBeforeNextSend(now: start) > .zero)
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
        for _ in 0..<6 { limiter.recordSend(at: start) }
        let delay = limiter.delayBeforeNextSend(now: start)
        #expect(delay > .zero)
        let halfway = start.advanced(by: delay / 2)
        let remaining = limiter.delayBeforeNextSend(now: halfway)
        #expect(remaining > .zero)
        #expect(remaining <= delay - delay / 2 + .milliseconds(1))
        #expect(limiter.levelAfterSend(at: halfway.advanced(by: remaining)) >= limiter.floorLevel)
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
        // Window 1: the level is the last gap, which must reach the floor, capped at the maximum, 10.
        #expect(RateLimiter(rateClass: zeroWindow, now: start).delayBeforeNextSend(now: start) == .milliseconds(10))
    }
}

@Suite("Rate book")
struct RateBookTests {
    /// AIM's default classes 1 and 3, with sign-on requests and typing notifications in class 1 and IMs in class 3.
    static let reply = RateParametersReply(
        classes: [
            RateClass(id: 1, windowSize: 80, clearLevel: 2500, alertLevel: 2000, limitLevel: 1500, disconnectLevel: 800, currentLevel: 6000, maxLevel: 6000),
            RateLimiterTests.imClass.with(id: 3),
        ],
        groups: [
            RateGroup(classID: 1, members: [SNACKind(family: 1, subtype: 2), SNACKind(family: 4, subtype: 0x14)]),
            RateGroup(classID: 3, members: [SNACKind(family: 4, subtype: 6)]),
        ]
    )
    static let im = SNACKind(family: 4, subtype: 6)
    static let typing = SNACKind(family: 4, subtype: 0x14)

    @Test func `each SNAC is counted in its own class`() {
        let start = ContinuousClock.now
        var book = RateBook(Self.reply, now: start)
        for _ in 0..<6 { book.recordSend(Self.im, at: start) }
        #expect(book.delayBeforeSending(Self.im, now: start) > .zero)
        #expect(book.delayBeforeSending(Self.typing, now: start) == .zero, "typing notifications have their own class")
        for _ in 0..<120 { book.recordSend(Self.typing, at: start) }
        #expect(book.delayBeforeSending(Self.typing, now: start) > .zero)
        #expect(book.limiter(for: Self.typing)?.level ?? 0 >= 0)
    }

    @Test func `a SNAC in no group is not metered`() {
        let start = ContinuousClock.now
        var book = RateBook(Self.reply, now: start)
        for _ in 0..<1000 { book.recordSend(SNACKind(family: 9, subtype: 9), at: start) }
        #expect(book.delayBeforeSending(SNACKind(family: 9, subtype: 9), now: start) == .zero)
        #expect(book.delayBeforeSending(Self.im, now: start) == .zero)
    }

    @Test func `a rate change notice brings the server's level`() {
        let start = ContinuousClock.now
        var book = RateBook(Self.reply, now: start)
        var notice = RateLimiterTests.imClass.with(id: 3)
        notice.currentLevel = 4300
        book.adopt(notice, now: start)
        #expect(book.limiter(for: Self.im)?.level == 4300)
        #expect(book.delayBeforeSending(Self.im, now: start) > .zero)
    }

    @Test func `a notice that the class's levels changed brings the new levels`() {
        let start = ContinuousClock.now
        var book = RateBook(Self.reply, now: start)
        var changed = RateLimiterTests.imClass.with(id: 3)
        changed.clearLevel = 5400
        changed.currentLevel = 6000
        book.adopt(changed, now: start)
        #expect(book.limiter(for: Self.im)?.floorLevel == 5420)
        #expect(book.limiter(for: Self.im)?.level == 6000)
    }
}

extension RateClass {
    func with(id: UInt16) -> RateClass {
        var copy = self
        copy.id = id
        return copy
    }
}
