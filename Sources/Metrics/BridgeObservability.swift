import BridgeTransport
import DaemonSupport
import Logging
import NIOCore
import NIOPosix
import RefdeskStore

/// What every bridge daemon exposes: the message counters and router connection of ``MeteredConnectorDelegate``,
/// the depth of its spool, `/healthz` (false while the router connection is down) and the watchdog.
public struct BridgeObservability: Sendable {
    public let registry: MetricsRegistry
    /// Give this to the `BridgeConnector` instead of the bridge's own delegate.
    public let delegate: MeteredConnectorDelegate
    let spool: BridgeSpool
    let logger: Logger
    let outboxDepth: Gauge
    let pendingDepth: Gauge

    public init(protocolName: String, wrapping inner: any BridgeConnectorDelegate, spool: BridgeSpool, logger: Logger) {
        let registry = MetricsRegistry.forDaemon()
        self.registry = registry
        self.delegate = MeteredConnectorDelegate(wrapping: inner, protocolName: protocolName, registry: registry)
        self.spool = spool
        self.logger = logger
        outboxDepth = registry.gauge(
            "refdesk_outbox_depth", help: "Replies in this bridge's spool not yet sent to the patron's network, by protocol.",
            labels: ["protocol"])
        pendingDepth = registry.gauge(
            "refdesk_spool_pending", help: "Messages and reports in this bridge's spool waiting for the router to acknowledge them.")
        outboxDepth.set(0, labels: [protocolName])
        self.protocolName = protocolName
    }

    let protocolName: String

    /// `/metrics` and `/healthz` for this bridge, to serve from a `MetricsServer` or an existing HTTP listener.
    public var endpoints: MetricsEndpoints {
        MetricsEndpoints(registry: registry, collect: { await collect() }, health: { HealthReport(checks: [delegate.routerHealth.check]) })
    }

    /// Reads the spool's depths (at scrape time, on the spool's database thread).
    func collect() async {
        do {
            let (queued, pending) = try await spool.database.read { connection in
                (
                    try connection.queryFirst("SELECT count(*) FROM outbound WHERE state = 'queued'") { try $0.int(0) } ?? 0,
                    try connection.queryFirst("SELECT count(*) FROM pending") { try $0.int(0) } ?? 0
                )
            }
            outboxDepth.set(Double(queued), labels: [protocolName])
            pendingDepth.set(Double(pending))
        } catch {
            logger.warning("cannot read the spool for metrics", metadata: ["error": "\(error)"])
        }
    }

    /// The watchdog for this bridge: it pings only while an event loop (where all network I/O runs) and the
    /// cooperative pool both answer.
    public func watchdog(notifier: SystemdNotifier) -> WatchdogService {
        WatchdogService(notifier: notifier, logger: logger) {
            (try? await MultiThreadedEventLoopGroup.singleton.next().submit { true }.get()) ?? false
        }
    }
}
