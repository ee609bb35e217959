import CoreMetrics

/// One metric family refdesk exposes: its name as Prometheus shows it, its type, its help text and its label names.
///
/// Code emits through swift-metrics (`Counter`, `Meter`), so any exporter can take the values; the families are
/// listed here once so that every part of refdesk uses the same names and label order, the exporter can give each
/// its help text, and the tests can hold the list against docs/operations.md.
public struct MetricFamily: Sendable, Hashable, CustomStringConvertible {
    /// How the value behaves, as the Prometheus text format names it.
    public enum Kind: String, Sendable {
        /// Only goes up (a restart resets it to zero; Prometheus' `rate()` handles that).
        case counter
        /// Goes up and down: a depth, a connection count, a 0/1 state.
        case gauge
    }

    public let name: String
    public let kind: Kind
    public let help: String
    /// The label names, in the order their values are given.
    public let labels: [String]

    public init(_ name: String, _ kind: Kind, help: String, labels: [String] = []) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
    }

    public var description: String { name }

    /// A counter of this family for one tuple of label values, given in the order of ``labels``.
    public func counter(_ labelValues: String..., factory: any MetricsFactory = MetricsSystem.factory) -> Counter {
        assert(kind == .counter, "\(name) is a \(kind), not a counter")
        return Counter(label: name, dimensions: dimensions(labelValues), factory: factory)
    }

    /// A gauge of this family for one tuple of label values, given in the order of ``labels``.
    public func gauge(_ labelValues: String..., factory: any MetricsFactory = MetricsSystem.factory) -> Meter {
        gauge(labelValues, factory: factory)
    }

    /// A gauge of this family for one tuple of label values, given in the order of ``labels``.
    public func gauge(_ labelValues: [String], factory: any MetricsFactory = MetricsSystem.factory) -> Meter {
        assert(kind == .gauge, "\(name) is a \(kind), not a gauge")
        return Meter(label: name, dimensions: dimensions(labelValues), factory: factory)
    }

    /// Label names paired with `values`; a caller's mistake in the count must not produce a malformed series.
    func dimensions(_ values: [String]) -> [(String, String)] {
        assert(values.count == labels.count, "\(name) takes \(labels.count) label values, got \(values.count)")
        return zip(labels, values + Array(repeating: "", count: max(0, labels.count - values.count))).map { ($0, $1) }
    }
}

extension MetricFamily {
    /// `refdesk_build_info{version="…"} 1` in every daemon, so dashboards can tell which release each process runs.
    public static let buildInfo = MetricFamily(
        "refdesk_build_info", .gauge, help: "Always 1; the version label is the running refdesk release.", labels: ["version"])

    // The message families the router and every bridge share, so one dashboard reads them all.

    /// Router: patron messages from bridges, once durable; bridge: patron messages the router acknowledged.
    public static let messagesIn = MetricFamily(
        "refdesk_messages_in_total", .counter, help: "Patron messages received, by protocol and gateway id.", labels: ["protocol", "gateway"])
    /// Router: replies a bridge acknowledged; bridge: replies it accepted for delivery.
    public static let messagesOut = MetricFamily(
        "refdesk_messages_out_total", .counter, help: "Replies to patrons passed on for delivery, by protocol and gateway id.",
        labels: ["protocol", "gateway"])
    public static let deliveryFailures = MetricFamily(
        "refdesk_delivery_failures_total", .counter, help: "Replies the patron's network could not deliver, by protocol.", labels: ["protocol"])
    public static let outboxDepth = MetricFamily(
        "refdesk_outbox_depth", .gauge,
        help: "Replies not yet passed on, by protocol: on the router, waiting for a bridge to acknowledge them; on a bridge, not yet sent.",
        labels: ["protocol"])

    // The router's.

    public static let bridgeConnections = MetricFamily(
        "refdesk_bridge_connections", .gauge, help: "Bridges connected to the router, by protocol.", labels: ["protocol"])
    public static let xmppConnected = MetricFamily(
        "refdesk_xmpp_connected", .gauge, help: "1 while the router's XMPP component connection is authenticated.")
    public static let queueOnline = MetricFamily(
        "refdesk_queue_online", .gauge, help: "1 while a queue is online (staffed and open), by queue.", labels: ["queue"])
    public static let offlineInboxDepth = MetricFamily(
        "refdesk_offline_inbox_depth", .gauge, help: "Patron messages waiting in the offline inbox, by queue.", labels: ["queue"])
    public static let gatewayUp = MetricFamily(
        "refdesk_gateway_up", .gauge, help: "1 while a gateway is online as its bridge reports it, 0 otherwise (see the admin API for why).",
        labels: ["queue", "protocol", "gateway"])

    // Every bridge's.

    public static let routerConnected = MetricFamily(
        "refdesk_router_connected", .gauge, help: "1 while this bridge is connected to the router.")
    public static let bridgeGateways = MetricFamily(
        "refdesk_bridge_gateways", .gauge, help: "Gateways the router assigned to this bridge.")
    public static let spoolPending = MetricFamily(
        "refdesk_spool_pending", .gauge, help: "Messages and reports in this bridge's spool waiting for the router to acknowledge them.")

    // refdesk-twilio's.

    public static let webhookRejects = MetricFamily(
        "refdesk_webhook_rejects_total", .counter,
        help: "Webhooks answered with an error status (bad signature, unknown number, too large), by endpoint and status.",
        labels: ["endpoint", "status"])

    /// Every family refdesk emits.
    public static let all: [MetricFamily] = [
        buildInfo, messagesIn, messagesOut, deliveryFailures, outboxDepth, bridgeConnections, xmppConnected, queueOnline, offlineInboxDepth,
        gatewayUp, routerConnected, bridgeGateways, spoolPending, webhookRejects,
    ]
}
