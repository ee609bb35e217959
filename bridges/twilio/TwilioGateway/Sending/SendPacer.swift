/// Spaces out sends per Twilio number so they stay within its throughput.
///
/// A US long code sends one segment per second; sending faster only fills Twilio's queue
/// (and ends in error 30001 when it overflows). The pacer is a token bucket per sending
/// number, refilled at `segmentsPerSecond` and holding at most `burstSegments`: `reserve`
/// says how long to wait before sending a message of so many segments and books that
/// capacity. Time is passed in, so the pacer is pure and tests need no clock or sleep.
public struct SendPacer<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// The sustained rate per number.
    public let segmentsPerSecond: Double
    /// Segments a number may send back to back after it has been idle.
    public let burstSegments: Int

    /// Per number, when its bucket will next be full again (the "theoretical arrival time").
    private var fullAt: [String: Instant] = [:]

    /// How many numbers are tracked before idle ones are forgotten.
    public static var pruneThreshold: Int { 1024 }

    /// - Parameters:
    ///   - segmentsPerSecond: Sustained rate per number; values at or below zero mean 1.
    ///   - burstSegments: Bucket size; values below 1 mean 1.
    public init(segmentsPerSecond: Double = 1, burstSegments: Int = 1) {
        self.segmentsPerSecond = segmentsPerSecond > 0 && segmentsPerSecond.isFinite ? segmentsPerSecond : 1
        self.burstSegments = max(1, burstSegments)
    }

    /// The time one segment's worth of capacity takes to refill.
    public var segmentInterval: Duration {
        .seconds(1 / segmentsPerSecond)
    }

    /// Books a send of `segments` from `number` and returns how long to wait before it.
    ///
    /// The caller sends after the returned delay; the next reservation for the same number
    /// is scheduled after this one, so reservations made back to back queue up.
    public mutating func reserve(segments: Int, from number: String, at now: Instant) -> Duration {
        let segments = max(1, segments)
        let tolerance = segmentInterval * (burstSegments - 1)
        let booked = fullAt[number].map { max($0, now) } ?? now
        let earliest = booked.advanced(by: .zero - tolerance)
        let sendAt = max(now, earliest)
        fullAt[number] = max(booked, sendAt).advanced(by: segmentInterval * segments)
        if fullAt.count > Self.pruneThreshold { forgetIdle(at: now) }
        return now.duration(to: sendAt)
    }

    /// How long a send of `segments` from `number` would wait now, without booking it.
    public func delay(segments: Int, from number: String, at now: Instant) -> Duration {
        var copy = self
        return copy.reserve(segments: segments, from: number, at: now)
    }

    /// Forgets numbers whose bucket is full again; they behave exactly like new ones.
    public mutating func forgetIdle(at now: Instant) {
        fullAt = fullAt.filter { $0.value > now }
    }

    /// How many numbers currently have booked capacity.
    public var trackedNumbers: Int { fullAt.count }
}
