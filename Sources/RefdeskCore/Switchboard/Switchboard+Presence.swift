extension Switchboard {
    mutating func handlePresence(jid: BareJID, resource: String, show: Show?, at: Timestamp) -> [Action] {
        // Only staff presence matters; anything else (patrons, servers) is not our business.
        guard let op = directory.operatorOwning(jid) else { return [] }
        guard !resource.isEmpty else { return [.dropped(reason: "presence from \(jid) has no resource")] }
        presence.update(jid: jid, resource: resource, show: show, at: at)
        comeBackFromAutoLogout(op.name, ResourceKey(jid: jid, resource: resource), show: show)
        // Offers follow in `reconcileOffers`; owned chats follow at their next message.
        return []
    }

    /// Feeds every queue's instantaneous state to the debouncer.
    mutating func observeQueues(at time: Timestamp) {
        for queue in directory.queues.keys {
            debouncer.observe(queue, online: queueIsAvailable(queue, at: time), at: time)
        }
    }

    /// Reports queue presence changes that have settled, with what follows from them:
    /// gateways follow their queue, an offline spell starts or ends, and the inbox is delivered.
    mutating func settleQueues(at time: Timestamp) -> [Action] {
        var actions: [Action] = []
        for queue in directory.queues.keys.sorted() {
            guard let online = debouncer.settle(queue, at: time) else { continue }
            actions.append(.queuePresenceChanged(queue, online: online))
            actions += directory.gateways(on: queue).map { .setGatewayOnline($0.id, online: online) }
            autoReplied[queue] = nil
            if online { actions += deliverInbox(of: queue, at: time) }
        }
        return actions
    }

    /// Hands a queue's stored messages to conversations, oldest first, each marked with its
    /// age. The conversations are offered to operators by `reconcileOffers`.
    mutating func deliverInbox(of queue: QueueName, at time: Timestamp) -> [Action] {
        let entries = inbox.filter { $0.queue == queue }.sorted { ($0.sentAt, $0.id) < ($1.sentAt, $1.id) }
        inbox.removeAll { $0.queue == queue }
        inboxPatrons[queue] = nil
        var actions: [Action] = []
        for entry in entries {
            let (open, ended) = continuingConversation(for: entry.patron, at: time)
            actions += ended
            var conversation = open ?? makeConversation(patron: entry.patron, queue: queue, at: time)
            actions.append(.deliverOffline(id: entry.id, conversation: conversation.id))
            actions += transcript(conversation, .patron, WindowLine(text: entry.text, media: entry.media).textWithLinks, at: entry.receivedAt)
            let marked = MessageAge.mark(entry.text, sentAt: entry.sentAt, now: time)
            actions += relay(PendingMessage(text: marked, receivedAt: entry.receivedAt, media: entry.media), in: &conversation)
            save(conversation)
        }
        return actions
    }
}

extension Switchboard {
    /// Notice an operator's timer got when it expired.
    static let autoLogoutNotice =
        "Auto-logout: you are no longer receiving new chats; send any presence change (or !logout off) to come back"

    /// Expires the timers due at `time`: their operators stop being routable (their current
    /// chats still reach them) and are told where they are now.
    mutating func expireAutoLogouts(at time: Timestamp) -> [Action] {
        var actions: [Action] = []
        for (name, expiry) in autoLogoutAt.sorted(by: { $0.key < $1.key }) where expiry <= time {
            autoLogoutAt[name] = nil
            guard let op = directory.operators[name] else { continue }
            loggedOut[name] = Dictionary(
                presence.resources(of: op.staffingJIDs).map { (ResourceKey(jid: $0.jid, resource: $0.resource), $0.show) },
                uniquingKeysWith: { _, last in last }
            )
            if let jid = presence.resourceForOwnedChat(among: op.staffingJIDs) {
                actions.append(.notifyOperator(jid: jid, conversation: nil, patron: nil, text: Self.autoLogoutNotice))
            }
        }
        return actions
    }

    /// Any presence that differs from what the resource showed when the operator was
    /// logged out brings them back. A resource that signs off is forgotten, so its signing
    /// on again counts as a change; presence repeated after a restart does not.
    mutating func comeBackFromAutoLogout(_ name: OperatorName, _ key: ResourceKey, show: Show?) {
        guard let showing = loggedOut[name] else { return }
        guard let show else {
            loggedOut[name]?[key] = nil
            return
        }
        if showing[key] != show { loggedOut[name] = nil }
    }
}
