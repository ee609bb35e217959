import RefdeskCore
import XMPP
import XMPPComponent

/// Presence subscriptions between queues and their staffing JIDs.
///
/// A queue asks each staffing JID for its presence. Until the librarian approves, the queue sends only the request
/// (and its own presence): Prosody answers a probe from a contact that was not approved with `unsubscribed`,
/// which cancels the pending request, so a probe sent right after subscribing made a new staffing account wait
/// for the next renewal. Once approved, a probe brings the current presence at once.
extension Router {
    /// The stanzas from `queue`'s address to staffing JID `to` when the link comes up or the account is added.
    func subscriptionGreeting(from: JID, to: JID, queue: QueueName) -> [XMLElement] {
        var stanzas: [XMLElement] = []
        if approvedSubscriptions.contains("\(from) \(to)") {
            stanzas.append(Presence(from: from, to: to, type: .probe).element)
        } else {
            stanzas.append(queuePresence(from: from, to: to, type: .subscribe))
        }
        stanzas.append(queuePresence(from: from, to: to, type: switchboard.isOnline(queue) ? .available : .unavailable))
        return stanzas
    }

    /// Asks the operator's staffing JIDs for presence subscriptions from their queues, so a newly assigned or
    /// newly added account starts counting at once rather than at the next renewal.
    func subscribe(operator name: OperatorName) {
        guard let xmpp else { return }
        let configuration = switchboard.configuration
        let jids = configuration.operators.first { $0.name == name }?.staffingJIDs ?? []
        for assignment in configuration.assignments where assignment.operator == name {
            guard let from = queueJID(assignment.queue) else { continue }
            for jid in jids {
                guard let to = try? JID(jid.description) else { continue }
                for stanza in subscriptionGreeting(from: from, to: to, queue: assignment.queue) { xmpp.connection.send(stanza) }
            }
        }
    }
}
