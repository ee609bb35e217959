import BridgeProtocol
import RefdeskCore
import RefdeskStore

/// What the router's `/metrics` endpoint reads at scrape time: the state a dashboard graphs and alerts on.
public struct RouterObservedState: Sendable, Equatable {
    /// Each configured queue and whether gateways see it online (after the settle time).
    public var queueOnline: [String: Bool]
    /// Offline inbox messages waiting for a librarian, by queue.
    public var offlineInboxDepth: [String: Int]
    /// Replies not yet acknowledged by a bridge, by protocol (grows while a bridge is down).
    public var outboxDepth: [String: Int]
    /// Whether each gateway is online as its bridge reports it, by queue, protocol and account.
    public var gatewayUp: [GatewayLabels: Bool] = [:]

    /// The labels of `refdesk_gateway_up`.
    public struct GatewayLabels: Hashable, Sendable {
        public var queue: String
        public var protocolName: String
        public var gateway: String
    }
}

extension Router {
    /// Reads queue presence from the rules state and the waiting work from the database.
    public func observedState() async throws -> RouterObservedState {
        let queues = switchboard.configuration.queues.map(\.name)
        var online: [String: Bool] = [:]
        for queue in queues {
            online[queue.rawValue] = switchboard.isOnline(queue)
        }
        let depths = try await database.read { connection in
            (inbox: try connection.offlineInboxDepthByQueue(), outbox: try connection.outboxDepthByProtocol())
        }
        var inbox = depths.inbox
        for queue in queues where inbox[queue.rawValue] == nil {
            inbox[queue.rawValue] = 0
        }
        var state = RouterObservedState(queueOnline: online, offlineInboxDepth: inbox, outboxDepth: depths.outbox)
        for (record, status) in gatewaysWithStatus() {
            let labels = RouterObservedState.GatewayLabels(queue: record.queueName, protocolName: record.network, gateway: record.username)
            state.gatewayUp[labels] = status.state == .online
        }
        return state
    }

    /// Returns as soon as the actor runs it: the watchdog's proof that the router's main loop is not wedged.
    public func isResponsive() -> Bool {
        true
    }
}
