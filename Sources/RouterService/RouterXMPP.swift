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
    /// The picture queue contacts show (XEP-0153); nil when none is configured.
    let avatar: Avatar?
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
    public func componentWrote(stanzaIDs: [String]) async { await router.stanzasWritten(ids: stanzaIDs) }
}

extension Router {
    /// Connects the router to its XMPP component connection.
    public func attach(component connection: ComponentConnection, domain: String, avatar: Avatar? = nil) {
        xmpp = XMPPLink(connection: connection, domain: domain, avatar: avatar)
        // Until the server is reached and the staffing JIDs have answered, presence is unknown.
        presenceGate.closed(until: now() + switchboard.configuration.settleTime.wholeMilliseconds)
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

    /// The queue's presence to everyone staffing it, so librarians see the queue contact go on- and offline.
    func queuePresence(_ queue: QueueName, online: Bool) -> [XMLElement] {
        guard let from = queueJID(queue) else { return [] }
        return staffingJIDs(of: queue).compactMap { jid in
            guard let to = try? JID(jid.description) else { return nil }
            return queuePresence(from: from, to: to, type: online ? .available : .unavailable)
        }
    }

    /// A queue contact's presence: available ones carry the avatar's hash (XEP-0153), a subscription request the
    /// queue's name (XEP-0172), so a client adds it to the roster under that name and shows its picture.
    func queuePresence(from: JID, to: JID, type: Presence.Kind) -> XMLElement {
        var element = Presence(from: from, to: to, type: type).element
        if type == .subscribe, let node = from.unescapedNode {
            element.append(XMLElement(name: "nick", namespace: XMPPNamespace.nick, text: Self.queueNickname(node)))
        }
        if type == .available || type == .unavailable, let avatar = xmpp?.avatar { element.append(avatar.presenceUpdate) }
        return element
    }

    // MARK: Events from the XMPP server

    /// (Re)connected: ask staffing JIDs that have not approved yet for a subscription, probe the others for their
    /// current presence, and tell each the state of its queues (see RouterSubscriptions.swift).
    func xmppAuthenticated() async {
        guard let xmpp else { return }
        var stanzas: [XMLElement] = []
        var probed: Set<String> = []
        let subscriptions = (try? await database.read { try $0.subscriptions() }) ?? []
        approvedSubscriptions = Set(subscriptions.filter { $0.state == .to || $0.state == .both }.map { "\($0.localJID) \($0.contactJID)" })
        lastSubscriptionRequest = now()
        for queue in switchboard.configuration.queues.map(\.name) {
            guard let from = queueJID(queue) else { continue }
            for jid in staffingJIDs(of: queue) {
                guard let to = try? JID(jid.description) else { continue }
                stanzas += subscriptionGreeting(from: from, to: to, queue: queue)
                // Only approved contacts are probed (RouterSubscriptions.swift), so only they can answer.
                if approvedSubscriptions.contains("\(from) \(to)") { probed.insert(to.description) }
            }
        }
        for stanza in stanzas { xmpp.connection.send(stanza) }
        announceOpenPatrons()
        presenceGate.probed(probed, at: now())
        logger.info("XMPP ready: presence probed", metadata: ["staffing_jids": "\(probed.count)"])
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
                xmpp.connection.send(queuePresence(from: from, to: to, type: .subscribe))
            }
        }
    }

    /// The link dropped: what we knew of presence is stale. Every resource seen available goes unavailable (the
    /// settle time absorbs a quick reconnect; probes after it bring the truth back).
    func xmppDisconnected() async {
        let held = librarianOutbox.linkLost()
        if held > 0 {
            logger.notice("XMPP link lost with lines not yet confirmed; they go again when their librarians are back", metadata: ["lines": "\(held)"])
        }
        presenceGate.closed(until: now() + switchboard.configuration.settleTime.wholeMilliseconds)
        let gone = availableResources
        availableResources.removeAll()
        let time = now()
        var changes = StoreChanges(time: time)
        for resource in gone.sorted() {
            stage(switchboard.handle(.presence(jid: resource.bare, resource: resource.resource, show: nil, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        }
        await commitLogging(changes)
    }

    func xmppReceived(_ stanza: IncomingStanza) async {
        switch stanza {
        case .presence(let presence): await presenceReceived(presence)
        case .message(let message): await messageReceived(message)
        case .iq(let iq):
            await iqReceived(iq)
        case .other(let element):
            logger.debug("unexpected top-level element ignored", metadata: ["element": "\(element.name)"])
        }
    }

    private func presenceReceived(_ presence: Presence) async {
        guard let xmpp, let from = presence.from, let to = presence.to else { return }
        let localJID = to.bare
        defer { presenceHeard(from: from.bare.description) }
        switch presence.type {
        case .available, .unavailable:
            guard let bare = try? BareJID(parsing: from.bare.description) else { return }
            guard let resource = from.resource else {
                // Unavailable from the bare JID: the server's answer to a probe of someone with no session.
                if presence.type == .unavailable { await allResourcesGone(of: bare) }
                return
            }
            guard let full = try? FullJID(bare: bare, resource: resource) else { return }
            let show: Show? = presence.type == .unavailable ? nil : Show(rawValue: presence.show.rawValue)
            if show == nil { availableResources.remove(full) } else { availableResources.insert(full) }
            // Lines that waited for this librarian go first, so they stay ahead of anything this presence brings.
            if show != nil { sendWaitingLines(to: bare.description) }
            let time = now()
            var changes = StoreChanges(time: time)
            stage(switchboard.handle(.presence(jid: bare, resource: resource, show: show, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
            guard !changes.isEmpty else { return }
            await commitLogging(changes)
        case .subscribe:
            // Librarians may add queues (and patrons) to their rosters: agree, and say how things are.
            xmpp.connection.send(Presence(from: localJID, to: from.bare, type: .subscribed).element)
            xmpp.connection.send(contactPresence(from: localJID, to: from.bare))
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
            xmpp.connection.send(contactPresence(from: localJID, to: from.bare))
        case .error:
            logger.notice("presence error", metadata: ["from": "\(from)", "to": "\(to)"])
        }
    }

    /// The presence of one of the component's addresses, as a probe or a new subscription learns it: a queue JID is
    /// available while the queue is online; a patron JID while the patron has an open conversation (with their
    /// nickname and network); the domain always.
    private func contactPresence(from local: JID, to: JID) -> XMLElement {
        guard let node = local.unescapedNode else { return Presence(from: local, to: to).element }
        if switchboard.configuration.queues.contains(where: { $0.name.rawValue == node }) {
            return queuePresence(from: local, to: to, type: switchboard.isOnline(QueueName(node)) ? .available : .unavailable)
        }
        guard let conversation = switchboard.openConversations.first(where: { $0.patron.address == node }) else {
            return Presence(from: local, to: to, type: .unavailable).element
        }
        return patronPresence(conversation, from: local, to: to, available: true)
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

    /// Every resource of `bare` went unavailable at once.
    private func allResourcesGone(of bare: BareJID) async {
        let gone = availableResources.filter { $0.bare == bare }
        guard !gone.isEmpty else { return }
        availableResources.subtract(gone)
        let time = now()
        var changes = StoreChanges(time: time)
        for resource in gone.sorted() {
            stage(switchboard.handle(.presence(jid: bare, resource: resource.resource, show: nil, at: Timestamp(millisecondsSinceEpoch: time))), into: &changes)
        }
        await commitLogging(changes)
    }

    private func messageReceived(_ message: Message) async {
        guard let xmpp, let from = message.from, let to = message.to else { return }
        if message.type == .error, let id = message.id, lineBounced(id: id) { return }
        if let confirmed = message.receiptFor {
            await receiptReceived(id: confirmed, from: from.bare.description)
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
            await answer(
                "Patrons' messages come from their own addresses; reply there. Type !help in a patron's window for commands, "
                    + "or use your client's commands menu on this contact or a patron's.",
                from: to.bare, to: sender
            )
            return
        }
        guard let conversation = conversationFor(patronAddress: node, operatorJID: bare) else {
            let notice: String
            if let until = switchboard.muteEnd(ofAddress: node, at: Timestamp(millisecondsSinceEpoch: now())) {
                notice = "This chat was cut off by the loop guard, so this message was not sent. Nothing is delivered either "
                    + "way until \(switchboard.localClockTime(until)); after that the patron's next message starts a new chat."
            } else {
                notice = "This conversation has ended, so this message was not sent. The patron's next message will start a new one."
            }
            await answer(notice, from: to.bare, to: sender)
            return
        }
        // A client that asks for a receipt may send the message again when none came (its server crashed):
        // the router acts on each (librarian, id) once, and confirms only once the effect is durable.
        let time = now()
        let event = Event.operatorMessage(from: sender, conversation: conversation, body: body, at: Timestamp(millisecondsSinceEpoch: time))
        guard message.requestsReceipt, let id = message.id else {
            var changes = StoreChanges(time: time)
            stage(switchboard.handle(event), into: &changes)
            await commitLogging(changes)
            return
        }
        let receipt = Message.receipt(from: to, to: from, for: id).element
        let key = "xmpp \(bare) \(id)"
        await acquireIngest()
        var holding = true
        defer { if holding { releaseIngest() } }
        guard storageFailure == nil else { return }
        if (try? await alreadySeen([key]))?.isEmpty == false {
            xmpp.connection.send(receipt)
            return
        }
        var changes = StoreChanges(time: time)
        changes.seen.append(key)
        stage(switchboard.handle(event), into: &changes)
        changes.stanzas.append(receipt)
        // Queued in order; the next message is read while this one commits, and its receipt follows the commit.
        let write: PendingWrite<Void>
        do {
            write = try submit(changes)
        } catch {
            logger.critical("cannot save state; stopping so a restart reloads it from the database", metadata: ["error": "\(error)"])
            storageFailure = error
            return
        }
        releaseIngest()
        holding = false
        await handOver(write, changes)
    }

    /// The open conversation with the patron at `address`; when the same address talks through several gateways,
    /// the one this operator owns or was offered.
    func conversationFor(patronAddress address: String, operatorJID: BareJID) -> ConversationID? {
        let candidates = switchboard.openConversations(patronAddress: address)
        guard candidates.count > 1 else { return candidates.first?.id }
        let operatorName = switchboard.configuration.operators.first { $0.staffingJIDs.contains(operatorJID) }?.name
        return candidates.first { conversation in
            conversation.operator == operatorName || conversation.offers.contains { $0.operator == operatorName }
        }?.id ?? candidates.last?.id
    }

    /// Commits changes that come from XMPP; a storage failure is recorded and stops the router at the next tick.
    func commitLogging(_ changes: StoreChanges) async {
        guard !changes.isEmpty else { return }
        do {
            try await commit(changes)
        } catch {
            // commit() already logged it and marked the router failed.
        }
    }
}
