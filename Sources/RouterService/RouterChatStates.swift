import BridgeProtocol
import BridgeTransport
import Logging
import RefdeskCore
import RefdeskStore
import XMPP
import XMPPComponent

/// Typing notifications and gateway notices: what passes between patron and librarian, or reaches the router from
/// a network, without being a message. None of it is durable: a lost typing state only leaves an indicator stale
/// until the next one, so nothing here touches the database.
extension Router {
    // MARK: Patron → librarian

    /// A patron's typing state from a bridge, passed to the librarians of their open conversation as an XEP-0085
    /// chat state from the patron's address: to the owner's resources once it is answered, to the librarians it
    /// is offered to while it is new. Without an open conversation nobody is waiting to see it.
    func patronChatState(gatewayID: UInt64, patron address: String, state: BridgeProtocol.ChatState) {
        guard let xmpp, xmpp.connection.isConnected, let xmppState = Message.ChatState(rawValue: state.name) else { return }
        guard let conversation = switchboard.openConversations.first(where: { $0.patron.gatewayID.rawValue == gatewayID && $0.patron.address == address }),
            let from = patronJID(conversation.patron)
        else {
            logger.debug("a patron's chat state with no open conversation to show it in", metadata: ["gateway": "\(gatewayID)", "patron": "\(address)"])
            return
        }
        let recipients = chatStateRecipients(of: conversation)
        logger.debug("a patron's chat state", metadata: ["patron": "\(address)", "state": "\(state.name)", "to": "\(recipients)"])
        for recipient in recipients {
            guard let to = try? JID(recipient.description) else { continue }
            xmpp.connection.send(Message.chatState(xmppState, from: from, to: to).element)
        }
    }

    /// Where a conversation's messages go now: the owner's present resources, or the resources it is offered at.
    private func chatStateRecipients(of conversation: Conversation) -> [FullJID] {
        switch conversation.state {
        case .new:
            return conversation.offers.map(\.jid)
        case .ongoing:
            guard let owner = conversation.operator,
                let jids = switchboard.configuration.operators.first(where: { $0.name == owner })?.staffingJIDs
            else { return [] }
            return availableResources.filter { jids.contains($0.bare) }.sorted()
        case .completed:
            return []
        }
    }

    // MARK: Librarian → patron

    /// A chat state without a body from a librarian, in a patron's window: passed to the patron's bridge when the
    /// librarian owns the conversation (or is offered it while it is new). The bridge maps it onto its network's
    /// typing notices, or ignores it where the network has none (SMS).
    func librarianChatState(_ message: Message) {
        guard let state = message.chatState, let from = message.from, let to = message.to,
            message.type == .chat || message.type == .normal,
            let node = to.unescapedNode,
            let sender = try? BareJID(parsing: from.bare.description),
            let name = switchboard.configuration.operators.first(where: { $0.staffingJIDs.contains(sender) })?.name,
            let bridgeState = BridgeProtocol.ChatState.allCases.first(where: { $0.name == state.rawValue })
        else { return }
        let conversation = switchboard.openConversations.first { conversation in
            conversation.patron.address == node
                && (conversation.operator == name || (conversation.state == .new && conversation.offers.contains { $0.operator == name }))
        }
        guard let conversation, let gateway = gateways[conversation.gatewayID] else { return }
        sessions[gateway.network]?.send(.chatState(gatewayID: conversation.gatewayID.rawValue, peer: conversation.patron.address, state: bridgeState))
    }

    // MARK: Gateway notices

    /// A notice a network sent about a gateway (an AIM server's "you received 2 IMs while you were offline"):
    /// logged with the gateway. It is not a patron's message, so it never starts a conversation.
    func gatewayNoticeReceived(id: UInt64, from sender: String, text: String) {
        guard gateways[GatewayID(id)] != nil else {
            logger.warning("notice for an unknown gateway ignored", metadata: ["gateway": "\(id)", "from": "\(sender)"])
            return
        }
        logger.notice("gateway notice", metadata: ["gateway": "\(id)", "from": "\(sender)", "text": "\(text)"])
    }
}
