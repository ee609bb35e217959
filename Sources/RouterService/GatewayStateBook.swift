import BridgeProtocol
import RefdeskCore

/// A gateway's state as an admin sees it: what its bridge last reported, or why nothing is known, and since when.
public struct GatewayStatus: Sendable, Equatable {
    public var state: GatewayState
    /// Why it is in that state, in the bridge's words ("wrong password", "signing on"); may be empty.
    public var reason: String
    /// When it entered that state (ms since the epoch).
    public var since: Int64

    public init(state: GatewayState, reason: String, since: Int64) {
        self.state = state
        self.reason = reason
        self.since = since
    }

    /// `online`, `offline`, `connecting` or `failed`.
    public var name: String {
        switch state {
        case .connecting: "connecting"
        case .online: "online"
        case .offline: "offline"
        case .failed: "failed"
        }
    }
}

/// Keeps each gateway's state from its bridge's reports, and answers for gateways nobody reports on.
///
/// Pure: events in, time given. A failing gateway used to be visible only in the journal; this is what the admin
/// API, `refdeskctl`, `/metrics` and the service status read. A gateway whose bridge is not connected is
/// `offline` ("no refdesk-aim bridge is connected") since the bridge went away (or since the gateway or the router
/// started); one whose bridge is connected but has not reported yet is `connecting`.
struct GatewayStateBook: Sendable {
    private var reports: [GatewayID: GatewayStatus] = [:]
    /// Protocols with a connected bridge, and since when.
    private var bridgesUp: [String: Int64] = [:]
    /// Since when each protocol's bridge has been away (the router's start when it never came).
    private var bridgesDown: [String: Int64] = [:]
    private let startedAt: Int64

    init(startedAt: Int64) {
        self.startedAt = startedAt
    }

    /// A bridge's report. The time a state started is kept while reports repeat it with other reasons.
    mutating func reported(_ id: GatewayID, state: GatewayState, reason: String, at time: Int64) {
        let since = reports[id].map { $0.state == state ? $0.since : time } ?? time
        reports[id] = GatewayStatus(state: state, reason: reason, since: since)
    }

    mutating func bridgeConnected(protocol name: String, at time: Int64) {
        bridgesUp[name] = time
        bridgesDown[name] = nil
    }

    /// The bridge went away: what it said about its gateways no longer holds.
    mutating func bridgeDisconnected(protocol name: String, gateways: [GatewayID], at time: Int64) {
        bridgesUp[name] = nil
        bridgesDown[name] = time
        for id in gateways { reports[id] = nil }
    }

    /// Forgets a deleted gateway, or one whose bridge must report afresh (new credentials).
    mutating func forget(_ id: GatewayID) {
        reports[id] = nil
    }

    /// The state of gateway `id` of protocol `protocolName`, added at `createdAt`.
    func status(of id: GatewayID, protocol protocolName: String, createdAt: Int64) -> GatewayStatus {
        if let up = bridgesUp[protocolName] {
            if let report = reports[id] { return report }
            return GatewayStatus(state: .connecting, reason: "waiting for the bridge to report", since: max(up, createdAt))
        }
        let down = bridgesDown[protocolName] ?? startedAt
        return GatewayStatus(state: .offline, reason: "no refdesk-\(protocolName) bridge is connected", since: max(down, createdAt))
    }
}
