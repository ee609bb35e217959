extension Switchboard {
    mutating func handlePatronMessage(_ message: PatronMessage) -> [Action] {
        let at = message.receivedAt
        let label = "message \(message.messageID) on gateway \(message.gatewayID)"
        guard let gateway = directory.gateways[message.gatewayID] else {
            return [.dropped(reason: "\(label): there is no such gateway")]
        }
        guard let queue = directory.queues[gateway.queue] else {
            return [.dropped(reason: "\(label): its queue \(gateway.queue) does not exist")]
        }
        let address: String
        switch directory.loopGuard.screenSender(message.sender, protocol: gateway.protocol) {
        case .drop(let reason): return [.dropped(reason: "\(label): \(reason)")]
        case .accept(let accepted): address = accepted
        }
        let patron = PatronID(gatewayID: gateway.id, address: address)
        if let until = muted[patron], until > at {
            return [.dropped(reason: "\(label): \(patron) is muted until \(until) after a ping-pong cut-off")]
        }
        if let open = openConversation(for: patron), pingPong.record(.patron, in: open.id, at: at) {
            return cutOff(open, at: at)
        }

        var (open, actions) = continuingConversation(for: patron, at: at)
        // Only a chat someone owns carries on while the queue is offline; anything else is
        // an offline message (delivered into the waiting chat when the queue comes back).
        // A waiting chat transferred to another queue follows that queue. While the patron's
        // earlier messages still wait for the queue to be reported online again, a new one
        // waits behind them, so the librarian reads them in the order the patron sent them.
        let target = open.flatMap { directory.queues[$0.queue] } ?? queue
        if !debouncer.isReportedOnline(target.name) {
            let waitingBehind = inboxPatrons[target.name]?.contains(patron) == true
            if waitingBehind || (open?.state != .ongoing && !queueIsAvailable(target.name, at: at)) {
                return actions + storeOffline(message, patron: patron, queue: target)
            }
        }
        if open == nil {
            let started = makeConversation(patron: patron, queue: queue.name, at: at)
            // The first message counts towards the ping-pong window too; alone it never trips it.
            _ = pingPong.record(.patron, in: started.id, at: at)
            open = started
        }
        guard var conversation = open else { return actions }
        // Drop the other references to the conversation's arrays first, so the pending list grows in place: a chat
        // nobody answers can collect thousands of lines, and copying them for each new one would cost O(lines).
        open = nil
        conversations[conversation.id] = nil
        let line = PendingMessage(text: message.body, receivedAt: at, media: message.media)
        actions += transcript(conversation, .patron, line.line.textWithLinks, at: at)
        actions += relay(line, in: &conversation)
        save(conversation)
        return actions
    }

    /// The patron's open conversation, unless its owner has signed off on every resource:
    /// then that conversation ends, and the message starts afresh with the queue.
    mutating func continuingConversation(for patron: PatronID, at: Timestamp) -> (Conversation?, [Action]) {
        guard let open = openConversation(for: patron) else { return (nil, []) }
        guard open.state == .ongoing, ownerResource(of: open) == nil else { return (open, []) }
        return (nil, end(open, at: at))
    }

    func ownerResource(of conversation: Conversation) -> FullJID? {
        guard let name = conversation.operator, let owner = directory.operators[name] else { return nil }
        return presence.resourceForOwnedChat(among: owner.staffingJIDs)
    }

    /// Passes a patron's text on: to the owner of an ongoing chat, or, while the chat is new,
    /// to everyone it is offered to (and onto its pending list for later offers).
    func relay(_ message: PendingMessage, in conversation: inout Conversation) -> [Action] {
        if conversation.state == .ongoing, let jid = ownerResource(of: conversation) {
            return [.sendToOperator(jid: jid, conversation: conversation.id, patron: conversation.patron, line: message.line)]
        }
        conversation.pending.append(message)
        var actions: [Action] = []
        for offer in conversation.offers {
            // Offers give a JID every line it has not had, so this is the only one missing.
            for line in conversation.linesNotGiven(to: offer.jid.bare) {
                actions.append(.sendToOperator(jid: offer.jid, conversation: conversation.id, patron: conversation.patron, line: line.line))
            }
            conversation.gaveEveryLine(to: offer.jid.bare)
        }
        return actions
    }

    /// Keeps a message for later and, once per offline spell, tells the patron the queue is offline.
    mutating func storeOffline(_ message: PatronMessage, patron: PatronID, queue: QueueConfiguration) -> [Action] {
        let entry = OfflineMessage(
            id: nextOfflineMessageID,
            queue: queue.name,
            patron: patron,
            text: message.body,
            messageID: message.messageID,
            sentAt: message.sentAt ?? message.receivedAt,
            receivedAt: message.receivedAt,
            media: message.media
        )
        nextOfflineMessageID += 1
        inbox.append(entry)
        inboxPatrons[entry.queue, default: []].insert(entry.patron)
        var actions: [Action] = [.storeOffline(entry)]
        if autoReplied[queue.name, default: []].insert(patron).inserted, let reply = queue.offlineReply, !reply.isEmpty {
            actions.append(.sendToPatron(patron, conversation: nil, text: offlineReply(reply, of: queue.name, at: message.receivedAt), author: nil))
        }
        return actions
    }

    /// The offline reply with `{next_open}` filled in: the next opening in the queue's local
    /// time when it is outside its hours, `soon` otherwise.
    func offlineReply(_ reply: String, of queue: QueueName, at time: Timestamp) -> String {
        guard reply.contains("{next_open}") else { return reply }
        let next = nextOpening(of: queue, after: time)?.description ?? "soon"
        return reply.replacing("{next_open}", with: next)
    }

    /// Ends a conversation that looks like two programs answering each other, and mutes the
    /// patron for the cool-down so the loop cannot restart at once. Everyone concerned is told once: the librarians
    /// in the patron's window, the patron with one short notice (the next lines from them are dropped unanswered
    /// until the cool-down ends, so the notice cannot feed a loop).
    mutating func cutOff(_ conversation: Conversation, at: Timestamp) -> [Action] {
        let policy = directory.pingPong
        muted[conversation.patron] = at + policy.cooldown
        var actions = end(conversation, at: at)
        let pause = MessageAge.describe(policy.cooldown)
        let notice = "Chat \(conversation.id) was cut off: messages went back and forth faster than people type. "
            + "Nothing more is delivered either way for \(pause): the patron's messages are dropped and yours are not sent."
        let recipients = ownerResource(of: conversation).map { [$0] } ?? conversation.offers.map(\.jid)
        actions += recipients.map { .notifyOperator(jid: $0, conversation: conversation.id, patron: conversation.patron, text: notice) }
        actions.append(.sendToPatron(conversation.patron, conversation: conversation.id, text: Self.cutOffNotice(pause: pause), author: nil))
        actions.append(
            .dropped(
                reason: "conversation \(conversation.id) cut off: more than \(policy.maximumTurns) turns "
                    + "within \(policy.window.wholeMilliseconds) ms"
            )
        )
        return actions
    }

    /// What a patron cut off by the ping-pong guard reads, once.
    static func cutOffNotice(pause: String) -> String {
        "Your messages are not reaching the library for the next \(pause): they were coming faster than a person types. "
            + "Please write again after that."
    }
}
