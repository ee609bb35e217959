import BridgeProtocol
import Logging
import RefdeskCore
import RefdeskStore

/// Each gateway's state, from its bridge's reports, for the admin API, `refdeskctl`, `/metrics` and the service
/// status line: a wrong AIM password or a Twilio account that refuses the token shows up there, not only in the log.
extension Router {
    /// A bridge's `gatewayState` frame. Reports on gateways the router does not know (deleted meanwhile) are dropped.
    func gatewayStateChanged(id: UInt64, state: GatewayState, reason: String) {
        let gatewayID = GatewayID(id)
        guard gateways[gatewayID] != nil else {
            logger.debug("state of an unknown gateway ignored", metadata: ["gateway": "\(id)", "state": "\(state)"])
            return
        }
        gatewayStates.reported(gatewayID, state: state, reason: reason, at: now())
        let level: Logger.Level = state == .failed ? .warning : .info
        logger.log(level: level, "gateway state", metadata: ["gateway": "\(id)", "state": "\(state)", "reason": "\(reason)"])
    }

    func bridgeConnected(protocolName: String) {
        gatewayStates.bridgeConnected(protocol: protocolName, at: now())
    }

    func bridgeDisconnected(protocolName: String) {
        let ids = gateways.values.filter { $0.network == protocolName }.map { GatewayID(UInt64($0.id)) }
        gatewayStates.bridgeDisconnected(protocol: protocolName, gateways: ids, at: now())
    }

    func gatewayStatus(_ record: GatewayRecord) -> GatewayStatus {
        gatewayStates.status(of: GatewayID(UInt64(record.id)), protocol: record.network, createdAt: record.createdAt)
    }

    /// Every gateway with its state, by id.
    func gatewaysWithStatus() -> [(record: GatewayRecord, status: GatewayStatus)] {
        gateways.values.sorted { $0.id < $1.id }.map { ($0, gatewayStatus($0)) }
    }

    /// One line for `systemctl status` (sd_notify `STATUS=`): queues online, gateways by state with the first
    /// failure's reason, and what waits.
    public func statusLine() -> String {
        let queues = switchboard.configuration.queues.map(\.name)
        let online = queues.filter { switchboard.isOnline($0) }.count
        let states = gatewaysWithStatus()
        var parts = ["queues \(online)/\(queues.count) online"]
        if states.isEmpty {
            parts.append("no gateways")
        } else {
            var counts: [String: Int] = [:]
            for (_, status) in states { counts[status.name, default: 0] += 1 }
            let order = ["online", "connecting", "offline", "failed"]
            let summary = order.compactMap { name in counts[name].map { "\($0) \(name)" } }.joined(separator: ", ")
            parts.append("gateways \(summary)")
            if let (record, status) = states.first(where: { $0.status.state == .failed }) {
                parts.append("failed: \(record.network) \(record.username): \(status.reason)")
            }
        }
        let waiting = switchboard.openConversations.filter { $0.operator == nil }.count + switchboard.offlineInbox.count
        parts.append("\(waiting) waiting")
        return parts.joined(separator: "; ")
    }
}
