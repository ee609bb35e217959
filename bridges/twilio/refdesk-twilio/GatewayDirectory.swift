import BridgeProtocol
import NIOConcurrencyHelpers
import TwilioGateway

/// One Twilio gateway as the bridge runs it.
struct TwilioGatewayEntry: Sendable, Equatable {
    var id: UInt64
    var number: E164Number
    var secret: GatewaySecret
    var queue: String
}

/// The live map of the router's Twilio gateways, replaced by `welcome` and changed by attach/detach.
///
/// Webhook handlers look numbers up here from many connections at once, so it sits behind a lock; it is small and
/// every operation is a dictionary access.
final class GatewayDirectory: Sendable {
    private struct State {
        var known = false
        var byID: [UInt64: TwilioGatewayEntry] = [:]
        var byNumber: [String: UInt64] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let authTokens: [String: String]

    init(authTokens: [String: String]) {
        self.authTokens = authTokens
    }

    /// Whether the router has described the gateways at least once since start.
    var isKnown: Bool { state.withLockedValue { $0.known } }

    /// Replaces all gateways; returns the state to report to the router for each.
    func replaceAll(_ gateways: [GatewayDescriptor]) -> [(UInt64, GatewayState, String)] {
        state.withLockedValue { state in
            state.known = true
            state.byID = [:]
            state.byNumber = [:]
        }
        return gateways.map(attach)
    }

    /// Adds or replaces one gateway; returns the state to report for it.
    func attach(_ gateway: GatewayDescriptor) -> (UInt64, GatewayState, String) {
        detach(id: gateway.id)
        guard let number = E164Number(gateway.username) else {
            return (gateway.id, .failed, "the gateway's username is not an E.164 number (\(E164Number.rule))")
        }
        let secret: GatewaySecret
        do {
            secret = try GatewaySecret(parsing: gateway.secret)
        } catch {
            return (gateway.id, .failed, error.description)
        }
        guard authTokens[secret.accountSid] != nil else {
            return (gateway.id, .failed, "no auth token is configured for account \(secret.accountSid) ([[twilio.account]] in the bridge's configuration)")
        }
        let entry = TwilioGatewayEntry(id: gateway.id, number: number, secret: secret, queue: gateway.queue)
        return state.withLockedValue { state in
            if let other = state.byNumber[number.value], other != gateway.id {
                return (gateway.id, .failed, "number \(number.value) is already used by gateway \(other)")
            }
            state.byID[gateway.id] = entry
            state.byNumber[number.value] = gateway.id
            return (gateway.id, .online, "")
        }
    }

    func detach(id: UInt64) {
        state.withLockedValue { state in
            guard let entry = state.byID.removeValue(forKey: id) else { return }
            if state.byNumber[entry.number.value] == id { state.byNumber[entry.number.value] = nil }
        }
    }

    /// The gateway that owns `number` in `accountSid`, if any.
    func gateway(number: E164Number, accountSid: String) -> TwilioGatewayEntry? {
        state.withLockedValue { state in
            guard let id = state.byNumber[number.value], let entry = state.byID[id], entry.secret.accountSid == accountSid else { return nil }
            return entry
        }
    }

    func gateway(id: UInt64) -> TwilioGatewayEntry? {
        state.withLockedValue { $0.byID[id] }
    }

    func authToken(accountSid: String) -> String? {
        authTokens[accountSid]
    }
}
