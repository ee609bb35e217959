import DaemonSupport
import Logging
import ServiceLifecycle

/// Keeps the router's line in `systemctl status` (sd_notify `STATUS=`) true: queues online, gateways by state
/// with the first failure's reason, what waits. Sent when it changes, checked every `interval`.
struct RouterStatusReporter: Service {
    let router: Router
    let notifier: SystemdNotifier
    let logger: Logger
    var interval: Duration = .seconds(1)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var last = ""
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return  // cancelled: shutting down
                }
                let line = await router.statusLine()
                guard line != last else { continue }
                do {
                    try notifier.status(line)
                    last = line
                } catch {
                    logger.debug("cannot send the status line to systemd", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
