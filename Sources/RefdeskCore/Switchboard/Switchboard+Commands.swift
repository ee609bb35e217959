/// Operator commands, typed in a conversation's window (or chosen from a client's ad-hoc command menu) and answered
/// there.
extension Switchboard {
    /// The short help every operator gets for `!help` and after a command typed wrong.
    public static let commandHelp = OperatorCommand.helpText

    /// Why a command cannot act on a conversation; the text is for the operator.
    struct Refusal: Error {
        var text: String
    }

    /// Carries out a command from a staffing JID, given in the window of `conversation` (`nil`: given to a queue's
    /// contact, outside any chat).
    mutating func handleCommand(_ command: OperatorCommand, from jid: FullJID, conversation id: ConversationID?, at: Timestamp) -> [Action] {
        guard let op = directory.operatorOwning(jid.bare) else {
            return [.dropped(reason: "command \(command.typed) from \(jid): \(jid.bare) is not a staffing JID")]
        }
        let context = CommandContext(jid: jid, operator: op, conversation: id, patron: id.flatMap { conversations[$0]?.patron }, at: at)
        switch command {
        case .help: return context.reply(Self.commandHelp)
        case .transfer(let target): return transfer(context, to: target)
        case .close: return close(context)
        case .canned(let name): return canned(context, named: name)
        case .who(let queue): return who(context, queue: queue)
        case .logout(let request): return logout(context, request)
        }
    }

    /// Who typed a command, in which window, and when. The answer goes to that window, from the patron's address,
    /// even when the command ended the conversation.
    struct CommandContext {
        var jid: FullJID
        var `operator`: Operator
        /// `nil` for a command given outside any chat (to a queue's contact).
        var conversation: ConversationID?
        var patron: PatronID?
        var at: Timestamp

        func reply(_ text: String) -> [Action] {
            [.notifyOperator(jid: jid, conversation: conversation, patron: patron, text: text)]
        }
    }

    // MARK: !transfer

    /// Where an operator could hand a chat now, for a command menu to offer: operators who take new chats (other
    /// than `name`), then online queues other than the chat's own, each with a label saying which it is.
    public func transferTargets(for id: ConversationID, by name: OperatorName) -> [(name: String, label: String)] {
        guard let conversation = conversations[id] else { return [] }
        let operators = directory.operators.values.sorted { $0.name < $1.name }.compactMap { op -> (name: String, label: String)? in
            guard op.name != name, let jid = newChatResource(of: op), let show = presence.show(of: jid) else { return nil }
            return (op.name.rawValue, "\(op.name) (\(show.rawValue))")
        }
        let queues = directory.queues.keys.sorted().filter { $0 != conversation.queue && debouncer.isReportedOnline($0) }
            .map { (name: $0.rawValue, label: "queue \($0)") }
        return operators + queues
    }

    /// Hands the chat to an operator (who must be routable and becomes its owner) or to a
    /// queue (which must be online; the chat waits there as new and is offered by the
    /// queue's policy). Either way the receiver sees the conversation so far; the patron is
    /// not told.
    mutating func transfer(_ command: CommandContext, to target: String) -> [Action] {
        let conversation: Conversation
        do {
            conversation = try ownConversation(command, allowNew: false)
        } catch {
            return command.reply(error.text)
        }
        if let receiver = operatorNamed(target) { return transfer(conversation, command, toOperator: receiver) }
        if let queue = queueNamed(target) { return transfer(conversation, command, toQueue: queue) }
        return command.reply("There is no operator or queue named \(target).")
    }

    private mutating func transfer(_ conversation: Conversation, _ command: CommandContext, toOperator receiver: Operator) -> [Action] {
        let id = conversation.id
        guard receiver.name != command.operator.name else { return command.reply("You already have this chat.") }
        guard let receiverJID = newChatResource(of: receiver) else {
            return command.reply("Cannot transfer chat \(id) to \(receiver.name): \(unavailability(of: receiver)). The chat stays with you.")
        }
        var moved = conversation
        moved.operator = receiver.name
        save(moved)
        return [
            .notifyOperator(jid: receiverJID, conversation: id, patron: conversation.patron, text: handOver(conversation, from: command.operator.name)),
            command.reply("Chat \(id) transferred to \(receiver.name).")[0],
        ]
    }

    private mutating func transfer(_ conversation: Conversation, _ command: CommandContext, toQueue queue: QueueConfiguration) -> [Action] {
        let id = conversation.id
        guard queue.name != conversation.queue else {
            return command.reply("Chat \(id) is already in queue \(queue.name); name an operator to hand it to.")
        }
        guard debouncer.isReportedOnline(queue.name) else {
            let reason = nextOpening(of: queue.name, after: command.at).map { "it is closed until \($0)" } ?? "it is offline"
            return command.reply("Cannot transfer chat \(id) to queue \(queue.name): \(reason). The chat stays with you.")
        }
        var moved = conversation
        moved.queue = queue.name
        moved.operator = nil
        moved.offers = []
        // Offers show the pending messages, so the conversation so far leads them.
        moved.replacePending(with: [PendingMessage(text: handOver(conversation, from: command.operator.name), receivedAt: command.at, fromRefdesk: true)])
        save(moved)
        // `reconcileOffers` offers it by the new queue's policy once this event is handled.
        return command.reply("Chat \(id) transferred to queue \(queue.name).")
    }

    /// What a transfer's receiver reads: who it came from and the recent lines, each with
    /// its local clock time.
    func handOver(_ conversation: Conversation, from name: OperatorName) -> String {
        let lines = recentLines[conversation.id] ?? []
        guard !lines.isEmpty else { return "Transferred from \(name)." }
        let history = lines.map { line -> String in
            let speaker: String
            switch line.speaker {
            case .patron: speaker = "patron"
            case .operator(let name): speaker = name.rawValue
            }
            return "[\(clockTime(line.at))] \(speaker): \(line.text)"
        }
        return "Transferred from \(name). Conversation so far:\n" + history.joined(separator: "\n")
    }

    /// `HH:MM` in the library's time zone.
    func clockTime(_ instant: Timestamp) -> String {
        LocalTime(instant, offset: timeZones.offsetFromUTC(in: directory.timeZone, at: instant) ?? .zero).time.description
    }

    /// Why an operator cannot take a new chat: auto-logged-out, their best show, or offline.
    func unavailability(of op: Operator) -> String {
        if loggedOut[op.name] != nil { return "\(op.name) is auto-logged-out" }
        guard let jid = presence.resourceForOwnedChat(among: op.staffingJIDs), let show = presence.show(of: jid) else {
            return "\(op.name) is offline"
        }
        switch show {
        case .away: return "\(op.name) is away"
        case .xa: return "\(op.name) is extended away"
        case .dnd: return "\(op.name) is busy (do not disturb)"
        case .available, .chat: return "\(op.name) is not receiving new chats"
        }
    }

    // MARK: !close

    /// Ends the chat as completed; the patron's next message starts a new one. The owner of
    /// an ongoing chat may close it, and so may anyone who could take a new one (which
    /// clears chats nobody should answer); others offered it hear who closed it.
    mutating func close(_ command: CommandContext) -> [Action] {
        let conversation: Conversation
        do {
            conversation = try ownConversation(command, allowNew: true)
        } catch {
            return command.reply(error.text)
        }
        let name = command.operator.name
        let others = conversation.offers.filter { $0.operator != name }
        // Closing a waiting chat never discards lines unread: those the closer was not given come with the answer.
        let unseen = conversation.state == .new ? conversation.linesNotGiven(to: command.jid.bare).map(\.text) : []
        let answer = unseen.isEmpty
            ? "Chat \(conversation.id) closed."
            : "Chat \(conversation.id) closed. The patron's last messages, which you had not seen:\n" + unseen.joined(separator: "\n")
        return end(conversation, at: command.at)
            + command.reply(answer)
            + others.map { .notifyOperator(jid: $0.jid, conversation: conversation.id, patron: conversation.patron, text: "\(name) closed this chat") }
    }

    // MARK: !canned

    /// Sends a configured reply as if the operator had typed it (so it takes a new chat like
    /// any first reply); without a name, lists the names.
    mutating func canned(_ command: CommandContext, named name: String?) -> [Action] {
        let names = directory.cannedReplies.keys.sorted()
        let listing = names.isEmpty ? "No canned replies are configured." : "Canned replies: \(names.joined(separator: ", "))."
        guard let name else { return command.reply(listing) }
        guard let reply = directory.cannedReply(named: name) else {
            return command.reply("There is no canned reply named \(name). " + listing)
        }
        guard let id = command.conversation else { return command.reply("A canned reply goes to a patron: give this command in their window.") }
        let actions = deliver(reply.text, from: command.jid, command.operator, conversation: id, at: command.at)
        let sent = actions.contains { if case .sendToPatron = $0 { true } else { false } }
        return sent ? actions + command.reply("Sent \(reply.name): \(reply.text)") : actions
    }

    // MARK: !who

    /// Lists the queue's routable operators with their show, and when a closed queue opens.
    func who(_ command: CommandContext, queue name: String?) -> [Action] {
        let queue: QueueName
        if let name {
            guard let named = queueNamed(name) else { return command.reply("There is no queue named \(name).") }
            queue = named.name
        } else {
            guard let conversation = command.conversation.flatMap({ conversations[$0] }) else {
                let chat = command.conversation.map { "Chat \($0) is not open; " } ?? ""
                return command.reply(chat + "name a queue: !who QUEUE")
            }
            queue = conversation.queue
        }
        let available = directory.operators(assignedTo: queue).compactMap { op -> String? in
            guard let jid = newChatResource(of: op), let show = presence.show(of: jid) else { return nil }
            return "\(op.name) (\(show.rawValue))"
        }
        var text = available.isEmpty ? "Nobody is available on \(queue)." : "Available on \(queue): \(available.joined(separator: ", "))."
        if let next = nextOpening(of: queue, after: command.at) { text += " \(queue) is closed until \(next)." }
        return command.reply(text)
    }

    // MARK: !logout

    /// Starts (or restarts) the operator's auto-logout timer, or turns it off. At expiry,
    /// decided on a tick, they stop being routable until their presence changes.
    mutating func logout(_ command: CommandContext, _ request: OperatorCommand.AutoLogoutRequest) -> [Action] {
        let name = command.operator.name
        switch request {
        case .off:
            let wasLoggedOut = loggedOut[name] != nil
            autoLogoutAt[name] = nil
            loggedOut[name] = nil
            return command.reply(wasLoggedOut ? "Auto-logout is off; you receive new chats again." : "Auto-logout is off.")
        case .status:
            let status = autoLogoutAt[name].map { "Auto-logout is set for \(clockTime($0))." } ?? "Auto-logout is off."
            return command.reply("\(status) \(CommandMistake.logoutUsage)")
        case .minutes(let minutes):
            let expiry = command.at + .seconds(minutes * 60)
            autoLogoutAt[name] = expiry
            loggedOut[name] = nil
            return command.reply("Auto-logout in \(minutes) min, at \(clockTime(expiry)): then you receive no new chats until your presence changes.")
        }
    }

    // MARK: Helpers

    /// The conversation the command acts on, if the operator may act on it: the owner of an
    /// ongoing chat, or (with `allowNew`) someone who may take a new one.
    func ownConversation(_ command: CommandContext, allowNew: Bool) throws(Refusal) -> Conversation {
        guard let id = command.conversation else { throw Refusal(text: "This command acts on a chat: give it in the patron's window.") }
        guard let conversation = conversations[id] else { throw Refusal(text: "Chat \(id) is not open.") }
        switch conversation.state {
        case .ongoing:
            guard conversation.operator == command.operator.name else {
                throw Refusal(text: "\(conversation.operator?.rawValue ?? "Someone") already has this chat.")
            }
        case .new:
            guard allowNew else { throw Refusal(text: "Chat \(id) has no owner yet: reply to take it first.") }
            guard mayTake(conversation, command.operator.name) else { throw Refusal(text: "Chat \(id) is offered to someone else.") }
        case .completed:
            throw Refusal(text: "Chat \(id) is not open.")
        }
        return conversation
    }

    /// An operator by name: exact first, then ignoring case.
    func operatorNamed(_ name: String) -> Operator? {
        if let exact = directory.operators[OperatorName(name)] { return exact }
        let lowered = name.lowercased()
        return directory.operators.values.sorted { $0.name < $1.name }.first { $0.name.rawValue.lowercased() == lowered }
    }

    /// A queue by name: exact first, then ignoring case.
    func queueNamed(_ name: String) -> QueueConfiguration? {
        if let exact = directory.queues[QueueName(name)] { return exact }
        let lowered = name.lowercased()
        return directory.queues.values.sorted { $0.name < $1.name }.first { $0.name.rawValue.lowercased() == lowered }
    }
}
