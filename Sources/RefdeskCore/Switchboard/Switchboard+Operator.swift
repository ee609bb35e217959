extension Switchboard {
    mutating func handleOperatorMessage(from jid: FullJID, conversation id: ConversationID, body: String, at: Timestamp) -> [Action] {
        guard let op = directory.operatorOwning(jid.bare) else {
            return [.dropped(reason: "message from \(jid) for conversation \(id): \(jid.bare) is not a staffing JID")]
        }
        switch OperatorLine(parsing: body) {
        case .text(let text): return deliver(text, from: jid, op, conversation: id, at: at)
        case .command(let command): return handleCommand(command, from: jid, conversation: id, at: at)
        case .mistake(let mistake):
            return [.notifyOperator(jid: jid, conversation: id, patron: conversations[id]?.patron, text: mistake.description)]
        }
    }

    /// An operator's text for the patron: the first reply takes a new chat, later ones are
    /// relayed by the owner; anyone else is told why not.
    mutating func deliver(_ text: String, from jid: FullJID, _ op: Operator, conversation id: ConversationID, at: Timestamp) -> [Action] {
        guard let conversation = conversations[id] else {
            return [.notifyOperator(jid: jid, conversation: id, patron: nil, text: "Chat \(id) is not open.")]
        }
        let patron = conversation.patron
        switch conversation.state {
        case .new:
            guard mayTake(conversation, op.name) else {
                return [.notifyOperator(jid: jid, conversation: id, patron: patron, text: "Chat \(id) is offered to someone else.")]
            }
            if pingPong.record(.operator, in: id, at: at) { return cutOff(conversation, at: at) }
            return take(conversation, by: op.name, at: jid, text: text, at: at)
        case .ongoing:
            guard conversation.operator == op.name else {
                let owner = conversation.operator?.rawValue ?? "Someone"
                return [.notifyOperator(jid: jid, conversation: id, patron: patron, text: "\(owner) already has this chat.")]
            }
            if pingPong.record(.operator, in: id, at: at) { return cutOff(conversation, at: at) }
            return [.sendToPatron(patron, conversation: id, text: text, author: op.name)]
                + transcript(conversation, .operator(op.name), text, at: at)
        case .completed:
            return [.notifyOperator(jid: jid, conversation: id, patron: patron, text: "Chat \(id) is not open.")]
        }
    }

    /// Ring-all: any operator of the queue may answer first. Least-busy: only the operator it
    /// was offered to, or the balancing would mean nothing.
    func mayTake(_ conversation: Conversation, _ name: OperatorName) -> Bool {
        switch directory.queues[conversation.queue]?.routing {
        case .leastBusy: conversation.isOffered(to: name)
        case .ringAll, nil: conversation.isOffered(to: name) || directory.isAssigned(name, to: conversation.queue)
        }
    }

    /// The first reply: the replier owns the chat and everyone else offered it hears who took it. Lines the replier
    /// was not given (they came while the chat was offered to nobody, or to others) reach them first: taking a chat
    /// never discards what the patron wrote unread.
    mutating func take(_ conversation: Conversation, by name: OperatorName, at jid: FullJID, text: String, at: Timestamp) -> [Action] {
        var taken = conversation
        let unseen = taken.linesNotGiven(to: jid.bare).map {
            Action.sendToOperator(jid: jid, conversation: taken.id, patron: taken.patron, line: $0.line)
        }
        let others = taken.offers.filter { $0.operator != name }
        taken.operator = name
        // A chat handed back to a queue keeps the time it was first answered.
        taken.answeredAt = taken.answeredAt ?? at
        taken.offers = []
        taken.replacePending(with: [])
        save(taken)
        return unseen + [.sendToPatron(taken.patron, conversation: taken.id, text: text, author: name)]
            + transcript(taken, .operator(name), text, at: at)
            + others.map { .notifyOperator(jid: $0.jid, conversation: taken.id, patron: taken.patron, text: "\(name) took this chat") }
    }

    /// Tells a reply's writer, in the patron's window, that it did not reach the patron and why. A writer who is
    /// not connected any more cannot be told; the failure stays in the delivery reports.
    func tellWriter(_ failure: ReplyFailure) -> [Action] {
        guard let writer = directory.operators[failure.author], let jid = presence.resourceForOwnedChat(among: writer.staffingJIDs) else {
            return [.dropped(reason: "reply to \(failure.patron) failed (\(failure.reason)); \(failure.author) is not connected to be told")]
        }
        return [.notifyOperator(jid: jid, conversation: failure.conversation, patron: failure.patron, text: Self.failureNotice(failure))]
    }

    /// What a librarian reads when a reply did not reach the patron: which reply, and why.
    static func failureNotice(_ failure: ReplyFailure) -> String {
        let excerpt = failure.text.count > 60 ? String(failure.text.prefix(60)) + "…" : failure.text
        return "Your reply \u{201C}\(excerpt)\u{201D} did not reach the patron. \(failure.reason)"
    }
}
