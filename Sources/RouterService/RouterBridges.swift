import BridgeProtocol
import BridgeTransport
import Logging
import RefdeskStore

/// The router's answer to bridges: which protocols it serves, and a session delegate per connection.
public struct RouterBridgeAcceptor: BridgeAcceptor {
    let router: Router

    public init(router: Router) {
        self.router = router
    }

    public func accept(protocolName: String, instance: String, peer: PeerCredentials) async -> BridgeAcceptance {
        let served = await router.servedProtocols()
        guard served.contains(protocolName) else {
            let known = served.sorted().joined(separator: ", ")
            return .refuse(.unknownProtocol, reason: "unknown protocol \"\(protocolName)\"; this router serves \(known)")
        }
        return .proceed(RouterSessionDelegate(router: router, protocolName: protocolName))
    }

    public func sessionStarted(_ session: BridgeSession, protocolName: String) async throws -> [GatewayDescriptor] {
        await router.register(session, protocolName: protocolName)
    }

    public func sessionEnded(_ session: BridgeSession, protocolName: String, reason: BridgeSessionEnd) async {
        await router.unregister(session, protocolName: protocolName)
    }
}

/// One bridge connection's view of the router: its outbox, its inbox, its gateway reports.
struct RouterSessionDelegate: BridgeSessionDelegate {
    let router: Router
    let protocolName: String

    func receiveReliable(_ messages: [BridgeMessage]) async throws {
        try await submitReliable(messages)()
    }

    func submitReliable(_ messages: [BridgeMessage]) async throws -> DurableWait {
        for message in messages {
            switch message {
            case .messageReceived, .deliveryStatus: continue
            default: throw BridgeSessionEnd.protocolViolation("\(message.kindName) is not a frame a bridge sends")
            }
        }
        let write = try await router.submitIngest(messages, protocolName: protocolName)
        return { try await write.value() }
    }

    func receiveControl(_ message: BridgeMessage) async throws {
        switch message {
        case .gatewayState(let id, let state, let reason):
            await router.gatewayStateChanged(id: id, state: state, reason: reason)
        case .gatewayNotice(let id, let from, let text):
            await router.gatewayNoticeReceived(id: id, from: from, text: text)
        case .chatState(let gatewayID, let peer, let state):
            await router.patronChatState(gatewayID: gatewayID, patron: peer, state: state)
        default:
            throw BridgeSessionEnd.protocolViolation("\(message.kindName) is not a frame a bridge sends")
        }
    }

    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        try await router.pendingOutbound(protocolName: protocolName, afterSequence: afterSequence, limit: limit)
    }

    func acknowledged(ids: [String]) async throws {
        try await router.acknowledgeOutbound(ids: ids)
    }
}
