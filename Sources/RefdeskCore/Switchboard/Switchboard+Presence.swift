extension Switchboard {
    mutating func handlePresence(jid: BareJID, resource: String, show: Show?, at: Timestamp) -> [Action] {
        // Only staff presence matters; anything else (patrons, servers) is not our business.
        guard directory.operatorOwning(jid) != nil else { return [] }
        guard !resource.isEmpty else { return [.dropped(reason: "presence from \(jid) has no resource")] }
        presence.update(jid: jid, resource: resource, show: show, at: at)
        // Offers follow in `reconcileOffers`; owned chats follow at their next message.
        return []
    }

    /// Feeds every queue's instantaneous state to the debouncer.
    mutating func observeQueues(at time: Timestamp) {
        for queue in directory.queues.keys {
            debouncer.observe(queue, online: queueHasRoutableOperator(queue), at: time)
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
        var actions: [Action] = []
        for entry in entries {
            let (open, ended) = continuingConversation(for: entry.patron, at: time)
            actions += ended
            var conversation = open ?? makeConversation(patron: entry.patron, queue: queue, at: time)
            actions.append(.deliverOffline(id: entry.id, conversation: conversation.id))
            actions += transcript(conversation, .patron, entry.text, at: entry.receivedAt)
            actions += relay(MessageAge.mark(entry.text, sentAt: entry.sentAt, now: time), receivedAt: entry.receivedAt, in: &conversation)
            save(conversation)
        }
        return actions
    }
}
