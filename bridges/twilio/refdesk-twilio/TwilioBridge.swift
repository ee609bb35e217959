import BridgeProtocol
import BridgeTransport
import Logging
import NIOConcurrencyHelpers

/// The bridge's side of the router connection: gateways in, replies into the spool, reports and texts out.
final class TwilioBridge: BridgeConnectorDelegate {
    let spool: BridgeSpool
    let directory: GatewayDirectory
    private let wakeSender: @Sendable () -> Void
    private let logger: Logger
    private let current = NIOLockedValueBox<BridgeSession?>(nil)
    /// Gateways whose last send showed they cannot send at all (credentials, account, number), with the reason.
    private let sendProblems = NIOLockedValueBox<[UInt64: String]>([:])

    init(spool: BridgeSpool, directory: GatewayDirectory, logger: Logger, wakeSender: @escaping @Sendable () -> Void) {
        self.spool = spool
        self.directory = directory
        self.logger = logger
        self.wakeSender = wakeSender
    }

    /// Tells the session that the spool holds new frames for the router (no-op while disconnected).
    func spoolChanged() {
        current.withLockedValue { $0 }?.outboxChanged()
    }

    func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws {
        current.withLockedValue { $0 = session }
        let problems = sendProblems.withLockedValue { $0 }
        for (id, state, reason) in directory.replaceAll(gateways) {
            if state == .online, let problem = problems[id] {
                report(id: id, state: .failed, reason: problem, to: session)
            } else {
                report(id: id, state: state, reason: reason, to: session)
            }
        }
        wakeSender()
    }

    func disconnected(reason: String) async {
        current.withLockedValue { $0 = nil }
    }

    func receiveReliable(_ messages: [BridgeMessage]) async throws {
        for message in messages {
            guard case .sendMessage = message else {
                throw BridgeSessionEnd.protocolViolation("\(message.kindName) is not a frame the router sends")
            }
        }
        let accepted = try await spool.acceptOutbound(messages)
        if !accepted.isEmpty {
            logger.debug("replies accepted into the spool", metadata: ["count": "\(accepted.count)"])
            wakeSender()
        }
    }

    func receiveControl(_ message: BridgeMessage) async throws {
        switch message {
        case .attachGateway(let gateway):
            // New settings (e.g. another account SID): the next send shows whether they work.
            sendProblems.withLockedValue { $0[gateway.id] = nil }
            let (id, state, reason) = directory.attach(gateway)
            if let session = current.withLockedValue({ $0 }) { report(id: id, state: state, reason: reason, to: session) }
            wakeSender()
        case .detachGateway(let id):
            directory.detach(id: id)
            logger.info("gateway detached", metadata: ["gateway": "\(id)"])
        case .setGatewayOnline(let id, let online):
            // SMS has no session to sign on or off: the router answers for an offline queue itself.
            logger.debug("gateway's queue presence changed", metadata: ["gateway": "\(id)", "online": "\(online)"])
        case .chatState:
            // SMS has no typing notifications: a librarian's typing state has nowhere to go.
            break
        default:
            throw BridgeSessionEnd.protocolViolation("\(message.kindName) is not a frame the router sends")
        }
    }

    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        try await spool.pendingReliable(afterSequence: afterSequence, limit: limit)
    }

    func acknowledged(ids: [String]) async throws {
        try await spool.acknowledged(ids: ids)
    }

    /// What a send through gateway `id` showed: `problem` when Twilio refused the gateway itself (it is reported
    /// `failed` with that reason), `nil` when the gateway worked (a gateway that had failed is `online` again).
    func sendOutcome(gatewayID id: UInt64, problem: String?) {
        let changed: Bool = sendProblems.withLockedValue { problems in
            guard problems[id] != problem else { return false }
            problems[id] = problem
            return true
        }
        guard changed, let session = current.withLockedValue({ $0 }) else { return }
        report(id: id, state: problem == nil ? .online : .failed, reason: problem ?? "", to: session)
    }

    private func report(id: UInt64, state: GatewayState, reason: String, to session: BridgeSession) {
        if state == .failed {
            logger.warning("gateway cannot be used", metadata: ["gateway": "\(id)", "reason": "\(reason)"])
        } else {
            logger.info("gateway ready", metadata: ["gateway": "\(id)"])
        }
        session.send(.gatewayState(id: id, state: state, reason: reason))
    }
}
