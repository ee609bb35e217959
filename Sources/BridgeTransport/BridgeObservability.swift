import BridgeProtocol
import CoreMetrics
import DaemonSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RefdeskMetrics

/// What every bridge daemon reports beyond its message counters (which ``BridgeSpool`` keeps): the router
/// connection (a gauge and the `/healthz` check), the gateways it runs, the depths of its spool, and the watchdog.
///
/// Everything is emitted through swift-metrics; the daemon picks the exporter and serves ``endpoints(_:)``.
public struct BridgeObservability: Sendable {
    /// Give this to the `BridgeConnector` instead of the bridge's own delegate.
    public let delegate: ObservedConnectorDelegate
    let spool: BridgeSpool
    let logger: Logger
    let outboxDepth: Meter
    let pendingDepth: Meter

    public init(wrapping inner: any BridgeConnectorDelegate, spool: BridgeSpool, logger: Logger) {
        self.delegate = ObservedConnectorDelegate(wrapping: inner)
        self.spool = spool
        self.logger = logger
        outboxDepth = MetricFamily.outboxDepth.gauge(spool.protocolName)
        pendingDepth = MetricFamily.spoolPending.gauge()
        outboxDepth.set(0)
        pendingDepth.set(0)
    }

    /// `/metrics` (rendered by `exposition`, after ``collect()``) and `/healthz` (the router connection).
    public func endpoints(_ exposition: any MetricsExposition) -> MetricsEndpoints {
        MetricsEndpoints(exposition: exposition, collect: { await collect() }, health: { health() })
    }

    /// Reads the spool's depths (at scrape time, on the spool's database thread).
    public func collect() async {
        do {
            let depths = try await spool.depths()
            outboxDepth.set(depths.queuedOutbound)
            pendingDepth.set(depths.pendingInbound)
        } catch {
            logger.warning("cannot read the spool for metrics", metadata: ["error": "\(error)"])
        }
    }

    /// Healthy while the bridge has a session with the router.
    public func health() -> HealthReport {
        HealthReport(checks: [delegate.routerHealth.check])
    }

    /// The watchdog for this bridge: it pings only while an event loop (where all network I/O runs) and the
    /// cooperative pool both answer.
    public func watchdog(notifier: SystemdNotifier) -> WatchdogService {
        WatchdogService(notifier: notifier, logger: logger) {
            (try? await MultiThreadedEventLoopGroup.singleton.next().submit { true }.get()) ?? false
        }
    }
}

/// Passes everything to the bridge's own delegate and records the router connection and the gateways the router
/// assigned (from the welcome, then each attach and detach).
public struct ObservedConnectorDelegate: BridgeConnectorDelegate {
    let inner: any BridgeConnectorDelegate
    let connected = MetricFamily.routerConnected.gauge()
    let gatewayCount = MetricFamily.bridgeGateways.gauge()
    let gatewayIDs = NIOLockedValueBox<Set<UInt64>>([])
    /// Up while the bridge has a session with the router.
    public let routerHealth = ConnectionHealth(name: "router", detail: "not yet connected to the router")

    public init(wrapping inner: any BridgeConnectorDelegate) {
        self.inner = inner
        connected.set(0)
        gatewayCount.set(0)
    }

    public func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws {
        connected.set(1)
        let count = gatewayIDs.withLockedValue { ids in
            ids = Set(gateways.map(\.id))
            return ids.count
        }
        gatewayCount.set(count)
        routerHealth.set(up: true, detail: "connected to the router")
        try await inner.connected(gateways: gateways, session: session)
    }

    public func disconnected(reason: String) async {
        connected.set(0)
        routerHealth.set(up: false, detail: "disconnected from the router: \(reason)")
        await inner.disconnected(reason: reason)
    }

    public func receiveReliable(_ messages: [BridgeMessage]) async throws {
        try await inner.receiveReliable(messages)
    }

    public func receiveControl(_ message: BridgeMessage) async throws {
        try await inner.receiveControl(message)
        let count: Int? = gatewayIDs.withLockedValue { ids in
            switch message {
            case .attachGateway(let gateway): ids.insert(gateway.id)
            case .detachGateway(let id): ids.remove(id)
            default: return nil
            }
            return ids.count
        }
        if let count { gatewayCount.set(count) }
    }

    public func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        try await inner.pendingReliable(afterSequence: afterSequence, limit: limit)
    }

    public func acknowledged(ids: [String]) async throws {
        try await inner.acknowledged(ids: ids)
    }
}
