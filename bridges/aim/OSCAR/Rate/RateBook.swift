/// Every rate class the server announced, with a ``RateLimiter`` for each, so each SNAC the client sends is
/// counted in its own class and paced by it: IMs (0x04/0x06) in theirs, typing notifications (0x04/0x14) in
/// theirs, and the sign-on requests in the class they share with them.
///
/// SNACs in no announced group are not counted: servers let those through unmetered.
public struct RateBook<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    private var limiters: [UInt16: RateLimiter<Instant>] = [:]
    private var classes: [SNACKind: UInt16] = [:]

    /// Starts every class from the level the server reported at `now` (when the 0x01/0x07 reply arrived).
    public init(_ reply: RateParametersReply, now: Instant) {
        for rateClass in reply.classes {
            limiters[rateClass.id] = RateLimiter(rateClass: rateClass, now: now)
        }
        for group in reply.groups where limiters[group.classID] != nil {
            for member in group.members where classes[member] == nil {
                classes[member] = group.classID
            }
        }
    }

    /// The limiter of the class `kind` belongs to, if any.
    public func limiter(for kind: SNACKind) -> RateLimiter<Instant>? {
        classes[kind].flatMap { limiters[$0] }
    }

    /// How long to wait from `now` before a SNAC of `kind` may go; zero when it may go at once.
    public func delayBeforeSending(_ kind: SNACKind, now: Instant) -> Duration {
        limiter(for: kind)?.delayBeforeNextSend(now: now) ?? .zero
    }

    /// How long to wait from `now` before sending what has waited since `waitingSince` as one SNAC of `kind`:
    /// the class's refill, and the coalescing hold before its last send for a while (see ``RateLimiter``).
    public func delayBeforeSending(_ kind: SNACKind, now: Instant, waitingSince: Instant) -> Duration {
        limiter(for: kind)?.delayBeforeNextSend(now: now, waitingSince: waitingSince) ?? .zero
    }

    /// Counts a SNAC of `kind` sent at `now` in its class.
    public mutating func recordSend(_ kind: SNACKind, at now: Instant) {
        guard let id = classes[kind] else { return }
        limiters[id]?.recordSend(at: now)
    }

    /// Takes a rate change notice's view of `rateClass` at `now`: its level when lower than the count here, and
    /// its levels and window when the server changed them.
    public mutating func adopt(_ rateClass: RateClass, now: Instant) {
        guard let current = limiters[rateClass.id] else { return }
        var announced = current.rateClass
        announced.currentLevel = rateClass.currentLevel
        announced.lastTime = rateClass.lastTime
        announced.currentState = rateClass.currentState
        if announced != rateClass {
            var replacement = RateLimiter<Instant>(rateClass: rateClass, now: now)
            replacement.adopt(serverLevel: UInt32(clamping: current.level))
            limiters[rateClass.id] = replacement
        } else {
            limiters[rateClass.id]?.adopt(serverLevel: rateClass.currentLevel)
        }
    }
}
