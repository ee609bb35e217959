import Logging
import ServiceLifecycle

/// Drives the router's time-dependent rules (debounced queue presence, timers) and notices a storage failure.
///
/// A tick that fails (the database refused a commit) ends this service, which ends the service group: the
/// daemon exits non-zero and systemd restarts it from the database's state.
public struct RouterClock: Service {
    let router: Router
    let interval: Duration

    public init(router: Router, interval: Duration = .milliseconds(250)) {
        self.router = router
        self.interval = interval
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return  // cancelled: shutting down
                }
                try await router.tick()
            }
        }
    }
}

extension RouterClock: CustomStringConvertible {
    public var description: String { "RouterClock(every \(interval))" }
}
