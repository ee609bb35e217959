import RefdeskCore
import RefdeskStore
import XMPP
import XMPPComponent

/// The operator commands as ad-hoc commands (XEP-0050), for clients with a commands menu (Gajim, Conversations,
/// Profanity's `/cmd`): on a patron's address they act on that chat; on a queue's address, outside any chat, only
/// `who` and `logout`. A command with a choice answers with a form (transfer targets, canned replies, auto-logout
/// times); the outcome comes back as the command's note, in the words the typed command would get.
///
/// Sessions need no memory: a submitted form names its command (the node) and its chat (the address), so any
/// session id the router gave out is taken.
extension Router {
    struct AdHocCommandInfo: Sendable {
        var node: String
        var name: String
        /// Acts on a chat, so it is offered only on patrons' addresses.
        var needsChat: Bool
    }

    static let adHocCommands: [AdHocCommandInfo] = [
        .init(node: "transfer", name: "Transfer this chat", needsChat: true),
        .init(node: "close", name: "Close this chat", needsChat: true),
        .init(node: "canned", name: "Send a canned reply", needsChat: true),
        .init(node: "who", name: "Who is available", needsChat: false),
        .init(node: "logout", name: "Auto-logout", needsChat: false),
    ]

    /// The auto-logout times a form offers, in minutes.
    static let autoLogoutChoices = [15, 30, 60, 120, 240, 480]

    func adHocCommand(_ iq: IQ) async -> IQ? {
        guard let to = iq.to, let payload = iq.payload else { return iq.errorReply(condition: "bad-request", errorType: "modify") }
        let request: AdHocCommand.Request
        do {
            request = try AdHocCommand.Request(element: payload)
        } catch {
            return iq.errorReply(condition: "bad-request", errorType: "modify")
        }
        guard let from = iq.from, let resource = from.resource, let bare = try? BareJID(parsing: from.bare.description),
            let sender = try? FullJID(bare: bare, resource: resource), isStaffingJID(from)
        else { return iq.errorReply(condition: "forbidden", errorType: "auth") }
        guard let info = Self.adHocCommands.first(where: { $0.node == request.node }), let local = to.unescapedNode else {
            return iq.errorReply(condition: "item-not-found")
        }
        let queue = switchboard.configuration.queues.first { $0.name.rawValue == local }?.name
        if queue != nil, info.needsChat { return iq.errorReply(condition: "item-not-found") }
        let session = request.sessionID ?? nextStanzaID()
        func answer(_ status: String, form: DataForm? = nil, note: (String, String)? = nil) -> IQ {
            IQ(from: to, to: from, id: iq.id, type: .result, payload: AdHocCommand.response(node: info.node, sessionID: session, status: status, form: form, note: note))
        }
        if request.action == .cancel { return answer("canceled") }

        let conversation = queue == nil ? conversationFor(patronAddress: local, operatorJID: bare) : nil
        if info.needsChat, conversation == nil {
            return answer("completed", note: ("warn", "This conversation has ended; nothing was done."))
        }
        let command: OperatorCommand
        if let form = request.form, form.kind == .submit {
            switch submitted(info.node, form) {
            case .success(let chosen): command = chosen
            case .failure(let problem): return answer("completed", note: ("error", problem.text))
            }
        } else {
            switch firstStep(info.node, conversation: conversation, queue: queue, operatorJID: bare) {
            case .form(let form): return answer("executing", form: form)
            case .run(let chosen): command = chosen
            case .note(let text): return answer("completed", note: ("info", text))
            }
        }
        let answers = await runAdHoc(command, from: sender, conversation: conversation)
        return answer("completed", note: ("info", answers.isEmpty ? "Done." : answers.joined(separator: "\n")))
    }

    enum FirstStep {
        case form(DataForm)
        case run(OperatorCommand)
        case note(String)
    }

    struct FormProblem: Error {
        var text: String
    }

    /// What running a command asks first: a choice in a form, or nothing (it runs at once).
    func firstStep(_ node: String, conversation: ConversationID?, queue: QueueName?, operatorJID: BareJID) -> FirstStep {
        let name = switchboard.configuration.operators.first { $0.staffingJIDs.contains(operatorJID) }?.name ?? ""
        switch node {
        case "close":
            return .run(.close)
        case "who":
            return .run(.who(queue: queue?.rawValue))
        case "transfer":
            guard let conversation else { return .note("This conversation has ended; nothing was done.") }
            let targets = switchboard.transferTargets(for: conversation, by: name)
            guard !targets.isEmpty else { return .note("Nobody can take this chat now: no other operator takes new chats and no other queue is online.") }
            return .form(
                DataForm(
                    kind: .form, title: "Transfer chat \(conversation)", instructions: "The receiver gets the conversation so far.",
                    fields: [.init(variable: "target", kind: .listSingle, label: "Transfer to", options: targets.map { ($0.label, $0.name) }, required: true)]
                )
            )
        case "canned":
            let replies = switchboard.configuration.cannedReplies.sorted { $0.key < $1.key }
            guard !replies.isEmpty else { return .note("No canned replies are configured.") }
            return .form(
                DataForm(
                    kind: .form, title: "Send a canned reply", instructions: "The reply goes to the patron as if you had typed it.",
                    fields: [
                        .init(
                            variable: "name", kind: .listSingle, label: "Reply",
                            options: replies.map { (label: "\($0.key): \($0.value.count > 60 ? String($0.value.prefix(60)) + "…" : $0.value)", value: $0.key) },
                            required: true
                        )
                    ]
                )
            )
        case "logout":
            let status = switchboard.autoLogoutTime(of: name).map { "Auto-logout is set for \(switchboard.localClockTime($0))." } ?? "Auto-logout is off."
            let choices = [(label: "Off", value: "off")] + Self.autoLogoutChoices.map { (label: "In \(MessageAge.describe(.seconds($0 * 60)))", value: "\($0)") }
            return .form(
                DataForm(
                    kind: .form, title: "Auto-logout", instructions: "\(status) When it expires you receive no new chats until your presence changes.",
                    fields: [.init(variable: "minutes", kind: .listSingle, label: "Auto-logout", options: choices, required: true)]
                )
            )
        default:
            return .note("Unknown command.")
        }
    }

    /// The command a submitted form asks for; a missing or bad choice is said in words.
    func submitted(_ node: String, _ form: DataForm) -> Result<OperatorCommand, FormProblem> {
        switch node {
        case "transfer":
            guard let target = form.value(of: "target") else { return .failure(FormProblem(text: "No one was chosen; the chat stays with you.")) }
            return .success(.transfer(to: target))
        case "canned":
            guard let name = form.value(of: "name") else { return .failure(FormProblem(text: "No reply was chosen; nothing was sent.")) }
            return .success(.canned(name))
        case "logout":
            guard let minutes = form.value(of: "minutes") else { return .failure(FormProblem(text: "No time was chosen; nothing changed.")) }
            do {
                guard case .logout(let request) = try OperatorCommand(parsing: "!logout \(minutes)") else {
                    return .failure(FormProblem(text: "No time was chosen; nothing changed."))
                }
                return .success(.logout(request))
            } catch {
                return .failure(FormProblem(text: error.description))
            }
        case "close":
            return .success(.close)
        default:
            return .success(.who(queue: form.value(of: "queue")))
        }
    }

    /// Runs a command through the switchboard like a typed one. Its answers to the commander in this chat come back
    /// as the command's note instead of lines in the window; everything else (the patron's reply, the receiver's
    /// hand-over, notices to others) goes as usual, durable with the decision.
    func runAdHoc(_ command: OperatorCommand, from sender: FullJID, conversation: ConversationID?) async -> [String] {
        let time = now()
        let actions = switchboard.handle(
            .operatorCommand(from: sender, conversation: conversation, command: command, at: Timestamp(millisecondsSinceEpoch: time))
        )
        var answers: [String] = []
        let others = actions.filter { action in
            guard case .notifyOperator(let jid, let chat, _, let text) = action, jid == sender, chat == conversation else { return true }
            answers.append(text)
            return false
        }
        var changes = StoreChanges(time: time)
        stage(others, into: &changes)
        await commitLogging(changes)
        return answers
    }
}
