import AdminAPI
import RefdeskCore
import RefdeskStore

/// The web console's desk: the admin API's status, with each librarian's status and the chats waiting for a reply.
extension Router: ConsoleBackend {
    public func deskView() async throws -> DeskView {
        let status = try await deskStatus()
        let configuration = switchboard.configuration
        let open = switchboard.openConversations
        let keeping = try await database.read { connection in
            Set(try connection.storedQueues().filter(\.record.keepsTranscripts).map(\.record.name))
        }
        let librarians = configuration.operators.sorted { $0.name < $1.name }.map { op in
            DeskView.Librarian(
                name: op.name.rawValue, show: switchboard.currentShow(of: op.name)?.rawValue,
                autoLoggedOut: switchboard.isAutoLoggedOut(op.name),
                openChats: open.filter { $0.operator == op.name }.count,
                queues: configuration.assignments.filter { $0.operator == op.name }.map(\.queue.rawValue).sorted()
            )
        }
        let waiting = open.filter { $0.operator == nil }.map { conversation in
            DeskView.WaitingChat(
                id: Int64(conversation.id.rawValue), queue: conversation.queue.rawValue,
                channel: RouterStatistics.channel(gateways[conversation.patron.gatewayID]?.network ?? ""),
                patron: conversation.patron.address,
                since: (conversation.pending.first?.receivedAt ?? conversation.startedAt).millisecondsSinceEpoch,
                lastLine: keeping.contains(conversation.queue.rawValue) ? conversation.pending.last?.text : nil
            )
        }
        return DeskView(status: status, librarians: librarians, waiting: waiting, at: now())
    }
}
