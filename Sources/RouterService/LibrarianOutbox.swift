import RefdeskStore

/// Lines to librarians, from the commit that decided them until their librarian has them.
///
/// A XEP-0114 component gets no acknowledgement from its server, and the router itself can be killed between a
/// commit and the write to the server. So every line is a row (`librarian_outbox`) committed with the decision that
/// sends it, and it leaves only when it is known to have arrived:
/// - for a client that answers delivery receipts (XEP-0184), when its receipt comes;
/// - for any other client, once it is written to the server's socket (nothing better can be known; sending it
///   again would show it twice).
///
/// Lines to one librarian go in the order they were decided, and only while that librarian is connected (any show)
/// and the link is up; otherwise they wait. After a restart or a lost link every line not known to have arrived is
/// sent again under its own id, which clients use to recognise a repeat.
///
/// A plain value owned by the router actor; it decides, the router does the I/O. Time is passed in.
struct LibrarianOutbox: Sendable {
    enum State: Sendable, Equatable {
        /// Waiting for its librarian to be connected (or for the link).
        case waiting
        /// Handed to the XMPP connection; not yet known to be written.
        case handedOver
        /// Written to the server at this time; waiting for the receipt.
        case written(at: Int64)
    }

    struct Line: Sendable {
        var record: LibrarianLineRecord
        var state: State
    }

    /// How long a written line waits for its receipt before it is taken as lost without a trace (ms). Clients
    /// answer within a second; this only matters for one that stopped answering.
    let receiptWindow: Int64
    /// At most this many lines wait for one librarian; past it the oldest go (with a warning from the router).
    let waitingLimit: Int

    private(set) var lines: [String: Line] = [:]
    /// Per librarian (bare JID), the ids of lines waiting, in `seq` order.
    private var waiting: [String: [(seq: Int64, id: String)]] = [:]
    /// Bare JIDs whose clients answer delivery receipts.
    private(set) var receiptClients: Set<String>

    init(restoring records: [LibrarianLineRecord], receiptClients: Set<String>, receiptWindow: Int64 = 120_000, waitingLimit: Int = 5_000) {
        self.receiptClients = receiptClients
        self.receiptWindow = receiptWindow
        self.waitingLimit = waitingLimit
        _ = add(records.sorted { $0.seq < $1.seq })
    }

    /// Librarians with lines waiting.
    var recipientsWaiting: [String] { waiting.keys.sorted() }

    var count: Int { lines.count }

    /// Lines now durable, each waiting for its librarian in `seq` order (commits that finish out of order still send
    /// in the order decided). Returns the ids dropped to keep within `waitingLimit`.
    mutating func add(_ records: [LibrarianLineRecord]) -> [String] {
        var dropped: [String] = []
        for record in records {
            lines[record.id] = Line(record: record, state: .waiting)
            var queue = waiting[record.recipient, default: []]
            Self.insert((record.seq, record.id), into: &queue)
            if queue.count > waitingLimit {
                let oldest = queue.removeFirst()
                lines[oldest.id] = nil
                dropped.append(oldest.id)
            }
            waiting[record.recipient] = queue
        }
        return dropped
    }

    /// The lines waiting for `recipient`, in order, now handed over; addressed to `resource` (a full JID) unless the
    /// resource they were addressed to is still connected (`isConnected`).
    mutating func takeWaiting(for recipient: String, resource: String, isConnected: (String) -> Bool) -> [LibrarianLineRecord] {
        guard let queue = waiting.removeValue(forKey: recipient) else { return [] }
        return queue.compactMap { entry in
            guard var line = lines[entry.id] else { return nil }
            if !isConnected(line.record.to) { line.record.to = resource }
            line.state = .handedOver
            lines[entry.id] = line
            return line.record
        }
    }

    /// The server's socket took these lines. Returns the ids that leave (their clients answer no receipts).
    mutating func written(ids: [String], at time: Int64) -> [String] {
        var finished: [String] = []
        for id in ids {
            guard var line = lines[id], line.state == .handedOver else { continue }
            if receiptClients.contains(line.record.recipient) {
                line.state = .written(at: time)
                lines[id] = line
            } else {
                lines[id] = nil
                finished.append(id)
            }
        }
        return finished
    }

    /// A receipt for `id` from `sender` (bare JID). Returns whether the line left, and whether `sender` is newly
    /// known to answer receipts.
    mutating func confirmed(id: String, by sender: String) -> (finished: Bool, newReceiptClient: Bool) {
        let isNew = receiptClients.insert(sender).inserted
        guard let line = lines[id], line.record.recipient == sender else { return (false, isNew) }
        lines[id] = nil
        waiting[sender]?.removeAll { $0.id == id }
        if waiting[sender]?.isEmpty == true { waiting[sender] = nil }
        return (true, isNew)
    }

    /// The server bounced `id` (its librarian is gone): it waits for them again. Returns whether it was ours.
    mutating func bounced(id: String) -> Bool {
        guard let line = lines[id], line.state != .waiting else { return false }
        requeue(line)
        return true
    }

    /// The link dropped: lines not known to be written wait again, and so do written lines to clients that answer
    /// receipts and had not yet. Returns how many wait again.
    @discardableResult
    mutating func linkLost() -> Int {
        var requeued = 0
        for line in lines.values where line.state != .waiting {
            requeue(line)
            requeued += 1
        }
        return requeued
    }

    /// Written lines whose receipt did not come within `receiptWindow`: they leave. Returns their ids.
    mutating func expire(now time: Int64) -> [String] {
        let expired = lines.values.compactMap { line -> String? in
            if case .written(let at) = line.state, time - at > receiptWindow { return line.record.id }
            return nil
        }
        for id in expired { lines[id] = nil }
        return expired
    }

    private mutating func requeue(_ line: Line) {
        var line = line
        line.state = .waiting
        lines[line.record.id] = line
        var queue = waiting[line.record.recipient, default: []]
        Self.insert((line.record.seq, line.record.id), into: &queue)
        waiting[line.record.recipient] = queue
    }

    /// Inserts keeping `seq` order; searched from the end, where new lines belong.
    private static func insert(_ entry: (seq: Int64, id: String), into queue: inout [(seq: Int64, id: String)]) {
        var position = queue.endIndex
        while position > queue.startIndex, queue[position - 1].seq > entry.seq { position -= 1 }
        queue.insert(entry, at: position)
    }
}
