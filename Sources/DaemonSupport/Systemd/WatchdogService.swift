import Logging
import ServiceLifecycle

/// Keeps systemd's watchdog (`WatchdogSec=`) fed while the daemon's main loop is alive, and tells systemd
/// `STOPPING=1` the moment a graceful shutdown (SIGTERM) begins.
///
/// Every half of `WATCHDOG_USEC` it awaits `liveness` — a round trip through the part whose stall should get the
/// daemon restarted (the router's actor, an event loop) — and sends `WATCHDOG=1` only when that returns true. A
/// wedged actor or a starved cooperative pool therefore stops the pings and systemd restarts the daemon. Without
/// a watchdog it only waits for shutdown. Put it last in the `ServiceGroup`: services shut down in reverse
/// order, so it hears of the shutdown first.
public struct WatchdogService: Service, CustomStringConvertible {
    let notifier: SystemdNotifier
    let liveness: @Sendable () async -> Bool
    let logger: Logger

    public init(notifier: SystemdNotifier, logger: Logger, liveness: @escaping @Sendable () async -> Bool = { true }) {
        self.notifier = notifier
        self.logger = logger
        self.liveness = liveness
    }

    public var description: String { "WatchdogService" }

    /// How often to ping: half the timeout, as `sd_watchdog_enabled(3)` recommends.
    public static func pingInterval(for timeout: Duration) -> Duration {
        timeout / 2
    }

    public func run() async throws {
        let interval = notifier.watchdogInterval.map(Self.pingInterval)
        if let interval {
            logger.debug("feeding the systemd watchdog", metadata: ["interval": "\(interval)"])
        }
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                guard let interval else {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(3600))
                    }
                    return
                }
                while !Task.isCancelled {
                    if await liveness() {
                        do {
                            try notifier.watchdog()
                        } catch {
                            logger.warning("cannot ping the systemd watchdog", metadata: ["error": "\(error)"])
                        }
                    } else {
                        logger.error("main loop unhealthy; not pinging the systemd watchdog")
                    }
                    try? await Task.sleep(for: interval)
                }
            }
        } onGracefulShutdown: {
            do {
                try notifier.send([.stopping, .status("stopping")])
            } catch {
                logger.warning("cannot tell systemd that shutdown began", metadata: ["error": "\(error)"])
            }
        }
    }
}
