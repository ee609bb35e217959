import BridgeProtocol
import BridgeTransport
import NIOConcurrencyHelpers

/// The message metric families the router and every bridge share, so one dashboard reads them all.
///
/// Counted where messages cross the bridge socket, by wrapping the session delegates: on the router, patron
/// messages in from bridges and replies out to them; on a bridge, patron messages it forwarded to the router and
/// replies it accepted for delivery. A frame resent after a reconnect is counted once.
public struct MessageMetrics: Sendable {
    public let messagesIn: Counter
    public let messagesOut: Counter
    public let deliveryFailures: Counter

    public init(registry: MetricsRegistry) {
        messagesIn = registry.counter(
            "refdesk_messages_in_total", help: "Patron messages received, by protocol and gateway id.", labels: ["protocol", "gateway"])
        messagesOut = registry.counter(
            "refdesk_messages_out_total", help: "Replies to patrons passed on for delivery, by protocol and gateway id.",
            labels: ["protocol", "gateway"])
        deliveryFailures = registry.counter(
            "refdesk_delivery_failures_total", help: "Replies the patron's network could not deliver, by protocol.", labels: ["protocol"])
    }
}

/// The ids of the last few thousand counted frames, so a resent frame is not counted twice.
final class RecentIDs: Sendable {
    private struct State {
        var members: Set<String> = []
        var order: [String] = []
        var next = 0
    }

    private let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// True the first time `id` is seen (within the window).
    func insert(_ id: String) -> Bool {
        state.withLockedValue { state in
            guard state.members.insert(id).inserted else { return false }
            if state.order.count < capacity {
                state.order.append(id)
            } else {
                state.members.remove(state.order[state.next])
                state.order[state.next] = id
                state.next = (state.next + 1) % capacity
            }
            return true
        }
    }
}

/// Counts what passes through a reliable stream, once per id.
struct ReliableCounter: Sendable {
    let protocolName: String
    let metrics: MessageMetrics
    let seen: RecentIDs

    func count(_ message: BridgeMessage) {
        guard let id = message.reliableID, seen.insert(id) else { return }
        switch message {
        case .messageReceived(let inbound):
            metrics.messagesIn.increment(labels: [protocolName, String(inbound.gatewayID)])
        case .sendMessage(let outbound):
            metrics.messagesOut.increment(labels: [protocolName, String(outbound.gatewayID)])
        case .deliveryStatus(let report) where report.status == .failed:
            metrics.deliveryFailures.increment(labels: [protocolName])
        default:
            break
        }
    }
}

// MARK: - Router side

/// Wraps the router's bridge acceptor: counts connected bridges and the messages their sessions carry.
public struct MeteredBridgeAcceptor: BridgeAcceptor {
    let inner: any BridgeAcceptor
    let metrics: MessageMetrics
    let connections: Gauge
    let seen = RecentIDs()

    public init(wrapping inner: any BridgeAcceptor, registry: MetricsRegistry) {
        self.inner = inner
        self.metrics = MessageMetrics(registry: registry)
        self.connections = registry.gauge("refdesk_bridge_connections", help: "Bridges connected to the router, by protocol.", labels: ["protocol"])
        for name in ["twilio", "aim"] {
            connections.set(0, labels: [name])
        }
    }

    public func accept(protocolName: String, instance: String, peer: PeerCredentials) async -> BridgeAcceptance {
        let acceptance = await inner.accept(protocolName: protocolName, instance: instance, peer: peer)
        guard case .proceed(let delegate) = acceptance else { return acceptance }
        let counter = ReliableCounter(protocolName: protocolName, metrics: metrics, seen: seen)
        return .proceed(MeteredSessionDelegate(inner: delegate, counter: counter))
    }

    public func sessionStarted(_ session: BridgeSession, protocolName: String) async throws -> [GatewayDescriptor] {
        let gateways = try await inner.sessionStarted(session, protocolName: protocolName)
        connections.increment(labels: [protocolName])
        return gateways
    }

    public func sessionEnded(_ session: BridgeSession, protocolName: String, reason: BridgeSessionEnd) async {
        await inner.sessionEnded(session, protocolName: protocolName, reason: reason)
        connections.decrement(labels: [protocolName])
    }
}

/// Counts reliable frames in both directions: inbound once durable (after the inner delegate returned), outbound
/// when handed to the session.
struct MeteredSessionDelegate: BridgeSessionDelegate {
    let inner: any BridgeSessionDelegate
    let counter: ReliableCounter

    func receiveReliable(_ messages: [BridgeMessage]) async throws {
        try await inner.receiveReliable(messages)
        messages.forEach(counter.count)
    }

    func receiveControl(_ message: BridgeMessage) async throws {
        try await inner.receiveControl(message)
    }

    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        let pending = try await inner.pendingReliable(afterSequence: afterSequence, limit: limit)
        pending.map(\.message).forEach(counter.count)
        return pending
    }

    func acknowledged(ids: [String]) async throws {
        try await inner.acknowledged(ids: ids)
    }
}

// MARK: - Bridge side

/// Wraps a bridge's connector delegate: tracks the router connection (a gauge and a `/healthz` check) and counts
/// the messages the bridge forwards and accepts.
public struct MeteredConnectorDelegate: BridgeConnectorDelegate {
    let inner: any BridgeConnectorDelegate
    let counter: ReliableCounter
    let connected: Gauge
    let gatewayCount: Gauge
    let gatewayIDs = NIOLockedValueBox<Set<UInt64>>([])
    /// Up while the bridge has a session with the router.
    public let routerHealth: ConnectionHealth

    public init(wrapping inner: any BridgeConnectorDelegate, protocolName: String, registry: MetricsRegistry) {
        self.inner = inner
        self.counter = ReliableCounter(protocolName: protocolName, metrics: MessageMetrics(registry: registry), seen: RecentIDs())
        self.connected = registry.gauge("refdesk_router_connected", help: "1 while this bridge is connected to the router.")
        self.gatewayCount = registry.gauge("refdesk_bridge_gateways", help: "Gateways the router assigned to this bridge.")
        self.routerHealth = ConnectionHealth(name: "router", detail: "not yet connected to the router")
        connected.set(false)
    }

    public func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws {
        connected.set(true)
        let count = gatewayIDs.withLockedValue { ids in
            ids = Set(gateways.map(\.id))
            return ids.count
        }
        gatewayCount.set(Double(count))
        routerHealth.set(up: true, detail: "connected to the router")
        try await inner.connected(gateways: gateways, session: session)
    }

    public func disconnected(reason: String) async {
        connected.set(false)
        routerHealth.set(up: false, detail: "disconnected from the router: \(reason)")
        await inner.disconnected(reason: reason)
    }

    public func receiveReliable(_ messages: [BridgeMessage]) async throws {
        try await inner.receiveReliable(messages)
        messages.forEach(counter.count)
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
        if let count { gatewayCount.set(Double(count)) }
    }

    public func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        let pending = try await inner.pendingReliable(afterSequence: afterSequence, limit: limit)
        pending.map(\.message).forEach(counter.count)
        return pending
    }

    public func acknowledged(ids: [String]) async throws {
        try await inner.acknowledged(ids: ids)
    }
}
