import BridgeTransport
import DaemonSupport
import Logging
import Metrics
import ServiceLifecycle
import XMPP
import XMPPComponent

/// The router's metrics, `/healthz` and watchdog, wired around the router without reaching into it: the bridge
/// acceptor and the XMPP delegate are wrapped, and gauges are read from the router at scrape time.
public struct RouterObservability: Sendable {
    public let registry = MetricsRegistry.forDaemon()
    let router: Router
    let logger: Logger
    /// Up while the XEP-0114 component is authenticated; nil when the router has no `[xmpp]` section.
    public let xmppHealth: ConnectionHealth?
    private let xmppConnected: Gauge
    private let queueOnline: Gauge
    private let offlineInbox: Gauge
    private let outbox: Gauge
    private let gatewayUp: Gauge

    public init(router: Router, xmppConfigured: Bool, logger: Logger) {
        self.router = router
        self.logger = logger
        xmppHealth = xmppConfigured ? ConnectionHealth(name: "xmpp", detail: "the XMPP component has not connected yet") : nil
        xmppConnected = registry.gauge("refdesk_xmpp_connected", help: "1 while the router's XMPP component connection is authenticated.")
        queueOnline = registry.gauge("refdesk_queue_online", help: "1 while a queue is online (staffed and open), by queue.", labels: ["queue"])
        offlineInbox = registry.gauge(
            "refdesk_offline_inbox_depth", help: "Patron messages waiting in the offline inbox, by queue.", labels: ["queue"])
        outbox = registry.gauge(
            "refdesk_outbox_depth", help: "Replies waiting for a bridge to acknowledge them, by protocol.", labels: ["protocol"])
        gatewayUp = registry.gauge(
            "refdesk_gateway_up", help: "1 while a gateway is online as its bridge reports it, 0 otherwise (see the admin API for why).",
            labels: ["queue", "protocol", "gateway"])
        xmppConnected.set(false)
    }

    public func acceptor(wrapping inner: any BridgeAcceptor) -> MeteredBridgeAcceptor {
        MeteredBridgeAcceptor(wrapping: inner, registry: registry)
    }

    public func componentDelegate(wrapping inner: any ComponentDelegate) -> any ComponentDelegate {
        ObservedComponentDelegate(inner: inner, health: xmppHealth, connected: xmppConnected)
    }

    /// The metrics listener (when configured), the status line for systemd, and the watchdog, which must come last
    /// in the group.
    public func services(listen: (host: String, port: Int)?, notifier: SystemdNotifier) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let listen {
            let endpoints = MetricsEndpoints(registry: registry, collect: { await collect() }, health: { await health() })
            services.append(.init(service: MetricsServer(address: ListenAddress(host: listen.host, port: listen.port), endpoints: endpoints, logger: logger)))
        }
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
            queueOnline.replaceAll(Dictionary(uniqueKeysWithValues: state.queueOnline.map { ([$0.key], $0.value ? 1 : 0) }))
            offlineInbox.replaceAll(Dictionary(uniqueKeysWithValues: state.offlineInboxDepth.map { ([$0.key], Double($0.value)) }))
            outbox.replaceAll(Dictionary(uniqueKeysWithValues: state.outboxDepth.map { ([$0.key], Double($0.value)) }))
            gatewayUp.replaceAll(
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
    let connected: Gauge

    func componentAuthenticated() async {
        health?.set(up: true, detail: "the XMPP component is connected")
        connected.set(true)
        await inner.componentAuthenticated()
    }

    func componentReceived(_ stanza: IncomingStanza) async {
        await inner.componentReceived(stanza)
    }

    func componentDisconnected(reason: String) async {
        health?.set(up: false, detail: "the XMPP component is disconnected: \(reason)")
        connected.set(false)
        await inner.componentDisconnected(reason: reason)
    }

    func componentWrote(stanzaIDs: [String]) async {
        await inner.componentWrote(stanzaIDs: stanzaIDs)
    }
}
