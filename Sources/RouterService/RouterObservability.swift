import BridgeTransport
import CoreMetrics
import DaemonSupport
import Logging
import RefdeskMetrics
import ServiceLifecycle
import XMPP
import XMPPComponent

/// The router's gauges, `/healthz` and watchdog, wired around the router without reaching into it: the XMPP
/// delegate is wrapped, and the gauges of queues, inboxes, outboxes and gateways are read from the router at
/// scrape time. (Messages are counted where the router makes them durable; bridge connections by the listener.)
/// Everything is emitted through swift-metrics; the daemon picks the exporter.
public struct RouterObservability: Sendable {
    let router: Router
    let logger: Logger
    /// Up while the XEP-0114 component is authenticated; nil when the router has no `[xmpp]` section.
    public let xmppHealth: ConnectionHealth?
    private let xmppConnected = MetricFamily.xmppConnected.gauge()
    private let queueOnline = ScrapedGaugeFamily(.queueOnline)
    private let offlineInbox = ScrapedGaugeFamily(.offlineInboxDepth)
    private let outbox = ScrapedGaugeFamily(.outboxDepth)
    private let gatewayUp = ScrapedGaugeFamily(.gatewayUp)

    /// The protocols of the bridges refdesk ships, whose gauges read 0 rather than nothing while idle.
    static let shippedBridges = ["twilio", "aim"]

    public init(router: Router, xmppConfigured: Bool, logger: Logger) {
        self.router = router
        self.logger = logger
        xmppHealth = xmppConfigured ? ConnectionHealth(name: "xmpp", detail: "the XMPP component has not connected yet") : nil
        xmppConnected.set(0)
        // The shipped bridges' series exist from the start, so "no bridge connected" alerts work before the first.
        for name in Self.shippedBridges {
            MetricFamily.bridgeConnections.gauge(name).set(0)
        }
    }

    public func componentDelegate(wrapping inner: any ComponentDelegate) -> any ComponentDelegate {
        ObservedComponentDelegate(inner: inner, health: xmppHealth, connected: xmppConnected)
    }

    /// `/metrics` (rendered by `exposition`, after ``collect()``) and `/healthz` (XMPP and the database).
    public func endpoints(_ exposition: any MetricsExposition) -> MetricsEndpoints {
        MetricsEndpoints(exposition: exposition, collect: { await collect() }, health: { await health() })
    }

    /// The status line for systemd and the watchdog, which must come last in the group.
    public func services(notifier: SystemdNotifier) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let router = self.router
        // A service that ends stops the group: the status line runs only where systemd listens for it.
        if notifier.isEnabled {
            services.append(.init(service: RouterStatusReporter(router: router, notifier: notifier, logger: logger)))
        }
        services.append(.init(service: WatchdogService(notifier: notifier, logger: logger, liveness: { await router.isResponsive() })))
        return services
    }

    func collect() async {
        do {
            let state = try await router.observedState()
            queueOnline.update(Dictionary(uniqueKeysWithValues: state.queueOnline.map { ([$0.key], $0.value ? 1 : 0) }))
            offlineInbox.update(Dictionary(uniqueKeysWithValues: state.offlineInboxDepth.map { ([$0.key], Double($0.value)) }))
            let outboxDepth = state.outboxDepth.merging(Self.shippedBridges.map { ($0, 0) }, uniquingKeysWith: { waiting, _ in waiting })
            outbox.update(Dictionary(uniqueKeysWithValues: outboxDepth.map { ([$0.key], Double($0.value)) }))
            gatewayUp.update(
                Dictionary(uniqueKeysWithValues: state.gatewayUp.map { ([$0.key.queue, $0.key.protocolName, $0.key.gateway], $0.value ? 1 : 0) })
            )
        } catch {
            logger.warning("cannot read the router's state for metrics", metadata: ["error": "\(error)"])
        }
    }

    func health() async -> HealthReport {
        var checks: [HealthCheck] = []
        if let xmppHealth { checks.append(xmppHealth.check) }
        do {
            _ = try await router.observedState()
            checks.append(HealthCheck(name: "database", healthy: true, detail: "readable"))
        } catch {
            checks.append(HealthCheck(name: "database", healthy: false, detail: "\(error)"))
        }
        return HealthReport(checks: checks)
    }
}

/// Passes the component connection's events to the router and records whether the link is up.
struct ObservedComponentDelegate: ComponentDelegate {
    let inner: any ComponentDelegate
    let health: ConnectionHealth?
    let connected: Meter

    func componentAuthenticated() async {
        health?.set(up: true, detail: "the XMPP component is connected")
        connected.set(1)
        await inner.componentAuthenticated()
    }

    func componentReceived(_ stanza: IncomingStanza) async {
        await inner.componentReceived(stanza)
    }

    func componentDisconnected(reason: String) async {
        health?.set(up: false, detail: "the XMPP component is disconnected: \(reason)")
        connected.set(0)
        await inner.componentDisconnected(reason: reason)
    }

    func componentWrote(stanzaIDs: [String]) async {
        await inner.componentWrote(stanzaIDs: stanzaIDs)
    }
}
