import Logging
import RefdeskCore
import RefdeskStore
import XMPP
import XMPPComponent

/// The router's XMPP component and the domain it owns.
///
/// Addresses on the component domain: each queue is `QUEUE@domain`, each patron `ESCAPED-ADDRESS@domain`
/// (XEP-0106, so `+15551234567@domain`, `patron\40aol.com@domain`). Both are derived from stored values, so they
/// are stable across restarts.
struct XMPPLink: Sendable {
    let connection: ComponentConnection
    let domain: String
}

/// Forwards the component connection's events to the router (which is created first, so it cannot be the
/// connection's delegate at construction time).
public struct RouterComponentDelegate: ComponentDelegate {
    let router: Router

    public init(router: Router) {
        self.router = router
    }

    public func componentAuthenticated() async { await router.xmppAuthenticated() }
    public func componentReceived(_ stanza: IncomingStanza) async { await router.xmppReceived(stanza) }
    public func componentDisconnected(reason: String) async { await router.xmppDisconnected() }
}

extension Router {
    /// Connects the router to its XMPP component connection.
    public func attach(component connection: ComponentConnection, domain: String) {
        xmpp = XMPPLink(connection: connection, domain: domain)
    }

    // MARK: Addresses

    func queueJID(_ queue: QueueName) -> JID? {
        guard let xmpp else { return nil }
        return try? JID(escapingNode: queue.rawValue, domain: xmpp.domain)
    }

    func patronJID(_ patron: PatronID) -> JID? {
        guard let xmpp else { return nil }
        return try? JID(escapingNode: patron.address, domain: xmpp.domain)
    }

    /// Staffing JIDs of the operators assigned to `queue`.
    func staffingJIDs(of queue: QueueName) -> [BareJID] {
        let configuration = switchboard.configuration
        let names = Set(configuration.assignments.filter { $0.queue == queue }.map(\.operator))
        return configuration.operators.filter { names.contains($0.name) }.flatMap(\.staffingJIDs)
    }

    // MARK: Sending

    /// A new stanza id, unique across restarts.
    func nextStanzaID() -> String {
        stanzaCounter += 1
        return "rd\(stanzaIDPrefix)-\(stanzaCounter)"
    }

    /// Sends a stanza to the XMPP server, keeping lines that ask for a receipt until one comes. While the link is
    /// down, a line to a librarian whose client answers receipts waits for that librarian instead of the server's
    /// queue (it is sent when they are next available).
    func sendStanza(_ stanza: XMLElement) {
        guard let xmpp else { return }
        if !xmpp.connection.isConnected, let (_, recipient) = DeliveryReceipts.tracked(stanza), receipts.holdsWhileDisconnected(recipient) {
            receipts.hold(stanza)
            return
        }
        receipts.sent(stanza, at: now())
        xmpp.connection.send(stanza)
    }

    // MARK: Stanzas the rules ask for

    /// A chat message to an operator, from the patron's JID when it concerns a conversation (so the operator's
    /// reply goes to that patron), else from the component's domain.
    func operatorMessage(to jid: FullJID, conversation: ConversationID, text: String) -> [XMLElement] {
        guard let xmpp, let to = try? JID(jid.description) else { return [] }
        let from = switchboard.conversation(conversation).flatMap { patronJID($0.patron) }
            ?? (try? JID(node: nil, domain: xmpp.domain))
        guard let from else { return [] }
        return [line(from: from, to: to, text: text)]
    }

    func operatorMessage(to jid: FullJID, conversation: ConversationID?, text: String) -> [XMLElement] {
        if let conversation { return operatorMessage(to: jid, conversation: conversation, text: text) }
        guard let xmpp, let to = try? JID(jid.description), let from = try? JID(node: nil, domain: xmpp.domain) else { return [] }
        return [line(from: from, to: to, text: text)]
    }

    /// A chat line to a librarian: a fresh id, and a receipt request so a line the server loses can go again.
    private func line(from: JID, to: JID, text: String) -> XMLElement {
        Message.chat(from: from, to: to, body: text, id: nextStanzaID(), requestsReceipt: true).element
    }

    /// The queue's presence to everyone staffing it, so librarians see the queue contact go on- and offline.
    func queuePresence(_ queue: QueueName, online: Bool) -> [XMLElement] {
        guard let from = queueJID(queue) else { return [] }
        return staffingJIDs(of: queue).compactMap { jid in
            guard let to = try? JID(jid.description) else { return nil }
            return Presence(from: from, to: to, type: online ? .available : .unavailable).element
        }
    }

    // MARK: Events from the XMPP server

    /// (Re)connected: subscribe to staffing JIDs not yet subscribed, probe every one for its current presence,
    /// and tell each the state of its queues.
    func xmppAuthenticated() async {
        guard let xmpp else { return }
        var stanzas: [XMLElement] = []
        let subscriptions = (try? await database.read { try $0.subscriptions() }) ?? []
        approvedSubscriptions = Set(subscriptions.filter { $0.state == .to || $0.state == .both }.map { "\($0.localJID) \($0.contactJID)" })
        lastSubscriptionRequest = now()
        for queue in switchboard.configuration.queues.map(\.name) {
            guard let from = queueJID(queue) else { continue }
            for jid in staffingJIDs(of: queue) {
                guard let to = try? JID(jid.description) else { continue }
                if !approvedSubscriptions.contains("\(from) \(to)") {
                    stanzas.append(Presence(from: from, to: to, type: .subscribe).element)
                }
                stanzas.append(Presence(from: from, to: to, type: .probe).element)
                stanzas.append(Presence(from: from, to: to, type: switchboard.isOnline(queue) ? .available : .unavailable).element)
            }
        }
        for stanza in stanzas { xmpp.connection.send(stanza) }
        logger.info("XMPP ready: presence probed", metadata: ["staffing_jids": "\(stanzas.count / 2)"])
    }

    /// Repeats subscription requests the staffing JIDs have not approved yet. A server is supposed to hand a
    /// pending request to the user at their next login, but not every one does (and an account created after
    /// the request never sees it), so the router asks again every `interval` until they approve.
    func renewPendingSubscriptions(every interval: Int64 = 10_000) {
        guard let xmpp, xmpp.connection.isConnected, now() - lastSubscriptionRequest >= interval else { return }
        lastSubscriptionRequest = now()
        for queue in switchboard.configuration.queues.map(\.name) {
            guard let from = queueJID(queue) else { continue }
            for jid in staffingJIDs(of: queue) {
                guard let to = try? JID(jid.description), !approvedSubscriptions.contains("\(from) \(to)") else { continue }
                xmpp.connection.send(Presence(from: from, to: to, type: .subscribe).element)
            }
        }
    }

    /// The link dropped: what we knew of presence is stale. Every resource seen available goes unavailable (the
    /// settle time absorbs a quick reconnect; probes after it bring the truth back).
    func xmppDisconnected() async {
        let held = receipts.linkLost()
        if held > 0 {
            logger.notice("XMPP link lost with lines not yet confirmed; they go again when their librarians are back", metadata: ["lines": "\(held)"])
        }
        let gone = availableResources
        availableResources.removeAll()
        let time = now()
        var changes = StoreChanges(time: time)
        for resource in gone.sorted() {
            record(switchboard.handle(.presence(jid: resource.bare, resource: resource.resource, show: nil, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        }
        await commitLogging(changes)
    }

    func xmppReceived(_ stanza: IncomingStanza) async {
        switch stanza {
        case .presence(let presence): await presenceReceived(presence)
        case .message(let message): await messageReceived(message)
        case .iq(let iq):
            if let reply = iq.errorReply() { xmpp?.connection.send(reply.element) }
        case .other(let element):
            logger.debug("unexpected top-level element ignored", metadata: ["element": "\(element.name)"])
        }
    }

    private func presenceReceived(_ presence: Presence) async {
        guard let xmpp, let from = presence.from, let to = presence.to else { return }
        let localJID = to.bare
        switch presence.type {
        case .available, .unavailable:
            guard let resource = from.resource, let bare = try? BareJID(parsing: from.bare.description),
                let full = try? FullJID(bare: bare, resource: resource)
            else { return }
            let show: Show? = presence.type == .unavailable ? nil : Show(rawValue: presence.show.rawValue)
            if show == nil { availableResources.remove(full) } else { availableResources.insert(full) }
            if show != nil { redeliver(to: from) }
            let time = now()
            var changes = StoreChanges(time: time)
            record(switchboard.handle(.presence(jid: bare, resource: resource, show: show, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
            guard !changes.isEmpty else { return }
            await commitLogging(changes)
        case .subscribe:
            // Librarians may add queues (and patrons) to their rosters: agree, and say how things are.
            xmpp.connection.send(Presence(from: localJID, to: from.bare, type: .subscribed).element)
            xmpp.connection.send(Presence(from: localJID, to: from.bare, type: availability(of: localJID)).element)
            await saveSubscription(local: localJID, contact: from.bare, adding: .from)
        case .subscribed:
            // Approved: ask for the current presence now (a server need not push it on approval).
            xmpp.connection.send(Presence(from: localJID, to: from.bare, type: .probe).element)
            approvedSubscriptions.insert("\(localJID) \(from.bare)")
            await saveSubscription(local: localJID, contact: from.bare, adding: .to)
        case .unsubscribe:
            // The contact no longer wants our presence: acknowledge it.
            xmpp.connection.send(Presence(from: localJID, to: from.bare, type: .unsubscribed).element)
        case .unsubscribed:
            // Also the server's answer to a probe before the contact approved our request: the request stays
            // pending, and approval brings their presence. Nothing to send.
            logger.debug("presence subscription not (yet) approved", metadata: ["contact": "\(from.bare)", "queue": "\(localJID)"])
        case .probe:
            xmpp.connection.send(Presence(from: localJID, to: from.bare, type: availability(of: localJID)).element)
        case .error:
            logger.notice("presence error", metadata: ["from": "\(from)", "to": "\(to)"])
        }
    }

    /// A queue JID is available while the queue is online; a patron JID while the patron has an open conversation.
    private func availability(of local: JID) -> Presence.Kind {
        guard let node = local.unescapedNode else { return .available }
        if switchboard.configuration.queues.contains(where: { $0.name.rawValue == node }) {
            return switchboard.isOnline(QueueName(node)) ? .available : .unavailable
        }
        return switchboard.openConversations.contains { $0.patron.address == node } ? .available : .unavailable
    }

    private func saveSubscription(local: JID, contact: JID, adding: SubscriptionState) async {
        let localJID = local.description
        let contactJID = contact.description
        do {
            try await database.write { connection in
                let current = try connection.subscriptionState(localJID: localJID, contactJID: contactJID)
                let combined: SubscriptionState =
                    switch (current, adding) {
                    case (.both, _), (.to, .from), (.from, .to): .both
                    case (.none, let new): new
                    case (let old, _): old
                    }
                try connection.setSubscription(SubscriptionRecord(localJID: localJID, contactJID: contactJID, state: combined))
            }
        } catch {
            logger.error("cannot save a presence subscription", metadata: ["error": "\(error)"])
        }
    }

    /// Lines that went without a receipt when the link dropped, to the librarian now available as `resource`.
    private func redeliver(to resource: JID) {
        let lines = receipts.takeRedeliveries(for: resource.bare.description)
        guard !lines.isEmpty else { return }
        logger.info("sending lines again that were not confirmed before the XMPP link dropped", metadata: ["to": "\(resource.bare)", "lines": "\(lines.count)"])
        for var line in lines {
            line[attribute: "to"] = resource.description
            sendStanza(line)
        }
    }

    private func messageReceived(_ message: Message) async {
        guard let xmpp, let from = message.from, let to = message.to else { return }
        if message.type == .error, let id = message.id, receipts.bounced(id: id) {
            logger.notice("the XMPP server bounced a line to a librarian", metadata: ["to": "\(from)", "id": "\(id)"])
            return
        }
        if let confirmed = message.receiptFor {
            receipts.confirmed(id: confirmed, by: from.bare.description)
            return
        }
        if message.body == nil, message.chatState != nil {
            librarianChatState(message)
            return
        }
        guard let body = message.body, !body.isEmpty else { return }
        guard message.type != .error, message.type != .groupchat else {
            logger.notice("message error from the XMPP server", metadata: ["from": "\(from)", "to": "\(to)"])
            return
        }
        guard let resource = from.resource, let bare = try? BareJID(parsing: from.bare.description),
            let sender = try? FullJID(bare: bare, resource: resource)
        else { return }
        let node = to.unescapedNode ?? ""
        if switchboard.configuration.queues.contains(where: { $0.name.rawValue == node }) {
            xmpp.connection.send(
                Message.chat(from: to.bare, to: from, body: "Patrons' messages come from their own addresses; reply there. Type /help in a patron's window for commands.").element
            )
            return
        }
        guard let conversation = conversationFor(patronAddress: node, operatorJID: bare) else {
            xmpp.connection.send(
                Message.chat(from: to.bare, to: from, body: "This conversation has ended, so this message was not sent. The patron's next message will start a new one.").element
            )
            return
        }
        // A client that asks for a receipt may send the message again when none came (its server crashed):
        // the router acts on each (librarian, id) once, and confirms only once the effect is durable.
        let time = now()
        let event = Event.operatorMessage(from: sender, conversation: conversation, body: body, at: Timestamp(millisecondsSinceEpoch: time))
        guard message.requestsReceipt, let id = message.id else {
            var changes = StoreChanges(time: time)
            record(switchboard.handle(event), into: &changes)
            await commitLogging(changes)
            return
        }
        let receipt = Message.receipt(from: to, to: from, for: id).element
        let key = "xmpp \(bare) \(id)"
        await acquireIngest()
        defer { releaseIngest() }
        if (try? await database.read({ try $0.seenIDs(among: [key]) }))?.isEmpty == false {
            xmpp.connection.send(receipt)
            return
        }
        var changes = StoreChanges(time: time)
        changes.seen.append(key)
        record(switchboard.handle(event), into: &changes)
        changes.stanzas.append(receipt)
        await commitLogging(changes)
    }

    /// The open conversation with the patron at `address`; when the same address talks through several gateways,
    /// the one this operator owns or was offered.
    private func conversationFor(patronAddress address: String, operatorJID: BareJID) -> ConversationID? {
        let candidates = switchboard.openConversations.filter { $0.patron.address == address }
        guard candidates.count > 1 else { return candidates.first?.id }
        let operatorName = switchboard.configuration.operators.first { $0.staffingJIDs.contains(operatorJID) }?.name
        return candidates.first { conversation in
            conversation.operator == operatorName || conversation.offers.contains { $0.operator == operatorName }
        }?.id ?? candidates.last?.id
    }

    /// Commits changes that come from XMPP; a storage failure is recorded and stops the router at the next tick.
    private func commitLogging(_ changes: StoreChanges) async {
        guard !changes.isEmpty else { return }
        do {
            try await commit(changes)
        } catch {
            // commit() already logged it and marked the router failed.
        }
    }
}
