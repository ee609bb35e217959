/// What a queue's offers depend on besides the conversation itself: its routing policy and,
/// for each assigned operator in name order, whether they are routable and where a new chat
/// would go. While it stays the same, reconciling a conversation that did not change offers
/// nothing new and withdraws nothing.
struct OfferBasis: Equatable, Sendable {
    var routing: RoutingPolicy
    var operators: [Candidate]

    struct Candidate: Equatable, Sendable {
        var name: OperatorName
        var routable: Bool
        var newChatResource: FullJID?
    }
}

extension Switchboard {
    /// Brings every new conversation's offers in line with who is routable now: offers to
    /// operators who stopped being routable (or assigned) are withdrawn, and conversations
    /// are offered by their queue's policy to whoever can take them. Runs after every event,
    /// so a newly available operator, a freed least-busy slot or a delivered inbox message
    /// is handled the same way.
    ///
    /// Only conversations that can come out differently are visited: those changed by this
    /// event, and the waiting conversations of queues whose ``OfferBasis`` changed (or, for
    /// least-busy queues, whose operators' loads may have changed). With thousands of
    /// conversations waiting, a patron message then costs the same as with one.
    mutating func reconcileOffers(at time: Timestamp) -> [Action] {
        let loadsMayHaveChanged = !touched.isEmpty || endedSinceReconcile
        endedSinceReconcile = false
        var changedQueues: Set<QueueName> = []
        for queue in directory.queues.values {
            let basis = offerBasis(of: queue)
            if offerBases.updateValue(basis, forKey: queue.name) != basis {
                changedQueues.insert(queue.name)
            } else if case .leastBusy = queue.routing, loadsMayHaveChanged {
                changedQueues.insert(queue.name)
            }
        }
        var visit = touched
        if !changedQueues.isEmpty {
            for (id, conversation) in conversations where conversation.state == .new && changedQueues.contains(conversation.queue) {
                visit.insert(id)
            }
        }
        var actions: [Action] = []
        for id in visit.sorted() {
            guard var conversation = conversations[id], conversation.state == .new,
                let queue = directory.queues[conversation.queue]
            else { continue }
            let before = conversation.offers
            let givenBefore = conversation.linesGiven
            conversation.offers.removeAll { offer in
                !(directory.isAssigned(offer.operator, to: conversation.queue) && isRoutable(offer.operator))
            }
            conversations[id] = conversation
            switch queue.routing {
            case .ringAll:
                for op in directory.operators(assignedTo: queue.name) where !conversation.isOffered(to: op.name) {
                    guard let jid = newChatResource(of: op) else { continue }
                    actions.append(offer(&conversation, to: op.name, at: jid))
                }
            case .leastBusy(let limit):
                if conversation.offers.isEmpty, let (name, jid) = leastBusyOperator(of: queue.name, limit: limit) {
                    lastTieWinner[queue.name] = name
                    actions.append(offer(&conversation, to: name, at: jid))
                }
            }
            if conversation.offers == before, conversation.linesGiven == givenBefore {
                conversations[id] = conversation
            } else {
                save(conversation)
            }
        }
        return actions
    }

    private func offerBasis(of queue: QueueConfiguration) -> OfferBasis {
        OfferBasis(
            routing: queue.routing,
            operators: directory.operators(assignedTo: queue.name).map { op in
                .init(name: op.name, routable: isRoutable(op.name), newChatResource: newChatResource(of: op))
            }
        )
    }

    /// Offers the conversation to `name` at `jid`, giving that JID the pending lines it has not had yet: a librarian
    /// offered a chat again (back from away, after a restart, on a freed least-busy slot) reads each line once.
    private func offer(_ conversation: inout Conversation, to name: OperatorName, at jid: FullJID) -> Action {
        let unseen = conversation.linesNotGiven(to: jid.bare).map(\.line)
        conversation.offers.append(Offer(operator: name, jid: jid))
        conversation.gaveEveryLine(to: jid.bare)
        return .offerToOperator(name, jid: jid, conversation: conversation.id, patron: conversation.patron, lines: unseen)
    }

    /// Open chats an operator carries: the ones they own and the least-busy offers waiting
    /// for their answer (ring-all offers go to everyone, so they weigh nothing).
    func load(of name: OperatorName) -> Int {
        conversations.values.count { conversation in
            switch conversation.state {
            case .ongoing: return conversation.operator == name
            case .new:
                guard case .leastBusy = directory.queues[conversation.queue]?.routing else { return false }
                return conversation.isOffered(to: name)
            case .completed: return false
            }
        }
    }

    /// The routable operator with the fewest open chats below `limit`; among equals, the next
    /// after the last one chosen (round-robin by name).
    func leastBusyOperator(of queue: QueueName, limit: Int) -> (OperatorName, FullJID)? {
        let candidates = directory.operators(assignedTo: queue).compactMap { op -> (name: OperatorName, jid: FullJID, load: Int)? in
            guard let jid = newChatResource(of: op) else { return nil }
            let load = load(of: op.name)
            return load < limit ? (op.name, jid, load) : nil
        }
        guard let lowest = candidates.map(\.load).min() else { return nil }
        let tied = candidates.filter { $0.load == lowest }
        guard let chosen = lastTieWinner[queue].flatMap({ last in tied.first { $0.name > last } }) ?? tied.first else { return nil }
        return (chosen.name, chosen.jid)
    }
}
