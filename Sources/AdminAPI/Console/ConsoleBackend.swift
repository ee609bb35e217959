/// What the web console's desk page needs beyond the admin API: who staffs with what status, and the chats waiting
/// for a first reply with how long they have waited.
public protocol ConsoleBackend: Sendable {
    func deskView() async throws -> DeskView
}

/// The desk now.
public struct DeskView: Sendable, Equatable {
    public struct Librarian: Sendable, Equatable {
        public var name: String
        /// `available`, `chat`, `away`, `xa`, `dnd`, or `nil` when signed off.
        public var show: String?
        public var autoLoggedOut: Bool
        /// Chats they own now.
        public var openChats: Int
        public var queues: [String]

        public init(name: String, show: String?, autoLoggedOut: Bool, openChats: Int, queues: [String]) {
            self.name = name
            self.show = show
            self.autoLoggedOut = autoLoggedOut
            self.openChats = openChats
            self.queues = queues
        }
    }

    public struct WaitingChat: Sendable, Equatable {
        public var id: Int64
        public var queue: String
        public var channel: String
        public var patron: String
        /// When the patron first wrote (ms since the epoch).
        public var since: Int64
        /// Their latest line, for queues that keep transcripts.
        public var lastLine: String?

        public init(id: Int64, queue: String, channel: String, patron: String, since: Int64, lastLine: String?) {
            self.id = id
            self.queue = queue
            self.channel = channel
            self.patron = patron
            self.since = since
            self.lastLine = lastLine
        }
    }

    public var status: DeskStatus
    public var librarians: [Librarian]
    public var waiting: [WaitingChat]
    /// When this view was taken (ms since the epoch).
    public var at: Int64

    public init(status: DeskStatus, librarians: [Librarian], waiting: [WaitingChat], at: Int64) {
        self.status = status
        self.librarians = librarians
        self.waiting = waiting
        self.at = at
    }
}
