import BridgeProtocol
import BridgeTransport
import DaemonSupport
import Logging
import NIOConcurrencyHelpers
import RefdeskStore

/// The bridge's side of the router connection and the directory of gateway workers.
///
/// The router's frames become events for the worker of their gateway; workers report back through this
/// object (gateway states, incoming IMs, delivery outcomes), which makes everything bound for the router
/// durable in the spool before the router hears of it.
final class AIMBridge: BridgeConnectorDelegate {
    /// What a worker needs to start; handed to `GatewaySupervisor`, which runs it.
    struct WorkerStart: Sendable {
        var gateway: GatewayDescriptor
        var events: AsyncStream<GatewayEvent>
        var post: AsyncStream<GatewayEvent>.Continuation
    }

    private struct State {
        var session: BridgeSession?
        var workers: [UInt64: AsyncStream<GatewayEvent>.Continuation] = [:]
        /// The last state each worker reported, resent after every handshake.
        var states: [UInt64: (GatewayState, String)] = [:]
        var shuttingDown = false
        var announcedReady = false
    }

    let spool: BridgeSpool
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let state = NIOLockedValueBox(State())
    private let starts: AsyncStream<WorkerStart>.Continuation
    /// Worker starts for the supervisor, in order.
    let startRequests: AsyncStream<WorkerStart>

    init(spool: BridgeSpool, notifier: SystemdNotifier, logger: Logger) {
        self.spool = spool
        self.notifier = notifier
        self.logger = logger
        (startRequests, starts) = AsyncStream.makeStream(of: WorkerStart.self, bufferingPolicy: .unbounded)
    }

    // MARK: - The router's side

    func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws {
        let (firstTime, running) = state.withLockedValue { state in
            state.session = session
            defer { state.announcedReady = true }
            return (!state.announcedReady, Set(state.workers.keys))
        }
        if firstTime {
            try? notifier.ready(status: "connected to the router")
        }
        let listed = Set(gateways.map(\.id))
        for gateway in gateways where gateway.protocolName == "aim" || gateway.protocolName.isEmpty {
            configure(gateway)
        }
        for id in running.subtracting(listed) {
            detach(id)
        }
        // The router learns every gateway's current state after each handshake.
        let states = state.withLockedValue { $0.states }
        for (id, (gatewayState, reason)) in states.sorted(by: { $0.key < $1.key }) {
            session.send(.gatewayState(id: id, state: gatewayState, reason: reason))
        }
        try await resumeQueuedOutbound()
    }

    func disconnected(reason: String) async {
        state.withLockedValue { $0.session = nil }
        logger.warning("disconnected from the router", metadata: ["reason": "\(reason)"])
    }

    func receiveReliable(_ messages: [BridgeMessage]) async throws {
        await dispatch(try await spool.acceptOutbound(messages))
    }

    func receiveControl(_ message: BridgeMessage) async throws {
        switch message {
        case .attachGateway(let gateway):
            configure(gateway)
        case .detachGateway(let id):
            detach(id)
        case .setGatewayOnline(let id, let online):
            if !post(.setOnline(online), to: id) {
                logger.warning("setGatewayOnline for a gateway this bridge does not run", metadata: ["gateway": "\(id)"])
            }
        case .chatState(let id, let peer, let state):
            // A typing state for a gateway gone meanwhile needs no answer: it only goes stale.
            post(.typing(to: peer, state: state), to: id)
        default:
            logger.warning("ignored a control frame a router does not send", metadata: ["frame": "\(message.kindName)"])
        }
    }

    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        try await spool.pendingReliable(afterSequence: afterSequence, limit: limit)
    }

    func acknowledged(ids: [String]) async throws {
        try await spool.acknowledged(ids: ids)
    }

    // MARK: - Workers

    /// Starts a worker for a new gateway, or hands new settings to the running one.
    private func configure(_ gateway: GatewayDescriptor) {
        let start: WorkerStart? = state.withLockedValue { state in
            guard !state.shuttingDown else { return nil }
            if let worker = state.workers[gateway.id] {
                worker.yield(.configure(gateway))
                return nil
            }
            let (events, post) = AsyncStream.makeStream(of: GatewayEvent.self, bufferingPolicy: .unbounded)
            state.workers[gateway.id] = post
            return WorkerStart(gateway: gateway, events: events, post: post)
        }
        if let start {
            logger.info("gateway attached", metadata: ["gateway": "\(gateway.id)", "screen_name": "\(AIMNaming.screenName(fromUsername: gateway.username))"])
            starts.yield(start)
        }
    }

    private func detach(_ id: UInt64) {
        let worker = state.withLockedValue { state in
            state.states[id] = nil
            return state.workers.removeValue(forKey: id)
        }
        worker?.yield(.detach)
        worker?.finish()
    }

    @discardableResult
    private func post(_ event: GatewayEvent, to id: UInt64) -> Bool {
        guard let worker = state.withLockedValue({ $0.workers[id] }) else { return false }
        worker.yield(event)
        return true
    }

    /// Signs every session off: each worker sends its sign-off frame, reports `offline` and ends.
    func shutDown() {
        let workers = state.withLockedValue { state in
            state.shuttingDown = true
            defer { state.workers.removeAll() }
            return Array(state.workers.values)
        }
        for worker in workers {
            worker.yield(.shutdown)
            worker.finish()
        }
        starts.finish()
    }

    // MARK: - Outbound messages

    /// Hands replies to their gateways' workers, each gateway's in one event, in order: replies that arrive
    /// together can then share IMs (a librarian's quick lines to one patron go as one).
    private func dispatch(_ messages: [OutboundMessage]) async {
        var byGateway: [UInt64: [OutboundMessage]] = [:]
        var order: [UInt64] = []
        for message in messages {
            if byGateway[message.gatewayID] == nil { order.append(message.gatewayID) }
            byGateway[message.gatewayID, default: []].append(message)
        }
        for gatewayID in order {
            let batch = byGateway[gatewayID] ?? []
            if !post(.send(batch), to: gatewayID) {
                for message in batch {
                    await finish(message, sent: false, reason: "gateway \(gatewayID) is not attached to this bridge")
                }
            }
        }
    }

    /// Messages accepted earlier but not yet handed to AIM (the daemon restarted, or a session was down) go to
    /// their workers again; a worker ignores ids it already holds.
    private func resumeQueuedOutbound() async throws {
        let queued = try await spool.database.read { try $0.dueOutbound(now: Int64.max, limit: 10_000) }
        await dispatch(queued.map { record in
            OutboundMessage(id: record.id, gatewayID: UInt64(bitPattern: record.gatewayID), to: record.recipient, body: record.body)
        })
    }

    // MARK: - Reports from workers

    /// Records a gateway's state and tells the router, if connected (it hears all states again after a handshake).
    func report(_ id: UInt64, _ gatewayState: GatewayState, reason: String) {
        let session: BridgeSession? = state.withLockedValue { state in
            guard state.workers[id] != nil || state.shuttingDown else { return nil }
            state.states[id] = (gatewayState, reason)
            return state.session
        }
        session?.send(.gatewayState(id: id, state: gatewayState, reason: reason))
    }

    /// Tells the router what the server said about a gateway (a system notice), if connected: it is for logs and
    /// people, not a patron's message, so it is neither spooled nor resent.
    func notice(_ id: UInt64, from sender: String, text: String) {
        state.withLockedValue { $0.session }?.send(.gatewayNotice(id: id, from: sender, text: text))
    }

    /// Passes a patron's typing state to the router, if connected; a lost one only leaves an indicator stale.
    func chatState(_ id: UInt64, peer: String, state chatState: ChatState) {
        state.withLockedValue { $0.session }?.send(.chatState(gatewayID: id, peer: peer, state: chatState))
    }

    /// Spools a patron's IM for the router; the spool drops an id it has seen, so a redelivered IM goes once.
    func deliver(_ message: InboundMessage) async {
        do {
            let fresh = try await spool.enqueue(.messageReceived(message))
            if fresh {
                state.withLockedValue { $0.session }?.outboxChanged()
            } else {
                logger.debug("dropped a redelivered IM", metadata: ["id": "\(message.id)", "gateway": "\(message.gatewayID)"])
            }
        } catch {
            logger.error("cannot spool an incoming IM", metadata: ["id": "\(message.id)", "error": "\(error)"])
        }
    }

    /// Records an outbound message's outcome and spools the delivery report for the router.
    func finish(_ message: OutboundMessage, sent: Bool, reason: String) async {
        let report = DeliveryReport(
            id: AIMNaming.statusID(messageID: message.id, sent: sent), messageID: message.id,
            status: sent ? .sent : .failed, reason: reason
        )
        do {
            _ = try await spool.enqueue(.deliveryStatus(report))
            let id = message.id
            let outcome: SpoolOutboundState = sent ? .sent : .failed
            let error: String? = sent ? nil : reason
            try await spool.database.write { try $0.markOutbound(id: id, state: outcome, error: error) }
        } catch {
            logger.error("cannot record a delivery outcome", metadata: ["id": "\(message.id)", "error": "\(error)"])
        }
        state.withLockedValue { $0.session }?.outboxChanged()
        if !sent {
            logger.notice("a reply could not be delivered", metadata: ["id": "\(message.id)", "reason": "\(reason)"])
        }
    }
}
