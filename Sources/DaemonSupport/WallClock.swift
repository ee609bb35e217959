#if canImport(Glibc)
import Glibc
#endif

/// The real time, for daemons; pure code takes times as arguments instead, so tests drive time by hand.
public enum WallClock {
    /// Milliseconds since the Unix epoch (CLOCK_REALTIME).
    public static func milliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
