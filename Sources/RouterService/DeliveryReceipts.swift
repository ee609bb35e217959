import XMPP

/// The router's messages to librarians that asked for a delivery receipt (XEP-0184) and have not had one yet.
///
/// A XEP-0114 component gets no acknowledgement from its server: a stanza written to the XMPP server just before
/// the server crashes is gone, and with it a patron's line. Clients that answer receipts tell the router which
/// lines arrived. When the link to the server drops, every line still without a receipt to a librarian whose
/// client has answered receipts before is kept, and sent again (same id) as soon as that librarian is available
/// again. Lines to clients that never answer receipts are forgotten after `window`: resending them would show
/// every one of them twice.
///
/// A plain value owned by the router actor; time is passed in.
struct DeliveryReceipts: Sendable {
    struct Pending: Sendable {
        var element: XMLElement
        /// The librarian's bare JID.
        var recipient: String
        var sentAt: Int64
    }

    /// How long a line waits for its receipt before it is forgotten (ms).
    let window: Int64
    /// At most this many lines wait, in all; the oldest go first.
    let limit: Int

    private(set) var awaiting: [String: Pending] = [:]
    /// The ids of `awaiting`, oldest first, from `oldest` on; ids confirmed meanwhile are skipped when reached. Lets
    /// pruning and the limit drop the oldest lines without searching all of them.
    private var sendOrder: [String] = []
    private var oldest = 0
    /// Bare JIDs whose client has answered a receipt.
    private(set) var confirming: Set<String> = []
    /// Lines to send again when their librarian is next available, oldest first.
    private(set) var redeliveries: [String: [XMLElement]] = [:]

    /// A line that had no receipt within `window` is not coming back; `limit` bounds the memory held (each line is
    /// a stanza of about a kilobyte).
    init(window: Int64 = 120_000, limit: Int = 2_000) {
        self.window = window
        self.limit = limit
    }

    /// The message id and bare recipient of `element` when it is a message asking for a receipt.
    static func tracked(_ element: XMLElement) -> (id: String, recipient: String)? {
        guard element.name == "message", let id = element[attribute: "id"], let to = element[attribute: "to"],
            element.child(named: "request", namespace: XMPPNamespace.receipts) != nil
        else { return nil }
        let bare = to.split(separator: "/", maxSplits: 1).first.map(String.init) ?? to
        return (id, bare)
    }

    /// Whether a line to `recipient` written now, while the link is down, should wait for the librarian instead
    /// of the server's queue: a client that answers receipts gets it, once, when it is back.
    func holdsWhileDisconnected(_ recipient: String) -> Bool {
        confirming.contains(recipient)
    }

    mutating func sent(_ element: XMLElement, at time: Int64) {
        guard let (id, recipient) = Self.tracked(element) else { return }
        if awaiting.updateValue(Pending(element: element, recipient: recipient, sentAt: time), forKey: id) == nil {
            sendOrder.append(id)
        }
        while awaiting.count > limit, let id = peekOldest() { awaiting[id] = nil }
    }

    /// The id of the oldest line still waiting (skipping those confirmed meanwhile), left in place.
    private mutating func peekOldest() -> String? {
        while oldest < sendOrder.count, awaiting[sendOrder[oldest]] == nil { oldest += 1 }
        compactOrder()
        return oldest < sendOrder.count ? sendOrder[oldest] : nil
    }

    /// Drops the consumed front of `sendOrder` once it is most of the array, so the array stays proportional to
    /// what waits.
    private mutating func compactOrder() {
        guard oldest > 64, oldest * 2 > sendOrder.count else { return }
        sendOrder.removeFirst(oldest)
        oldest = 0
    }

    /// A receipt from `sender` (bare JID) for `id`. Returns whether it confirmed a waiting line.
    @discardableResult
    mutating func confirmed(id: String, by sender: String) -> Bool {
        confirming.insert(sender)
        guard let pending = awaiting[id], pending.recipient == sender else { return false }
        awaiting[id] = nil
        return true
    }

    /// The server bounced `id` (a message error): the line goes back for its librarian's next availability
    /// when their client answers receipts. Returns whether it was a waiting line.
    @discardableResult
    mutating func bounced(id: String) -> Bool {
        guard let pending = awaiting.removeValue(forKey: id) else { return false }
        if confirming.contains(pending.recipient) { keep(pending.element, for: pending.recipient) }
        return true
    }

    /// Holds a line written while the link is down for its librarian's next availability.
    mutating func hold(_ element: XMLElement) {
        guard let (_, recipient) = Self.tracked(element) else { return }
        keep(element, for: recipient)
    }

    private mutating func keep(_ element: XMLElement, for recipient: String) {
        var lines = redeliveries[recipient, default: []]
        if lines.count >= limit { lines.removeFirst() }
        lines.append(element)
        redeliveries[recipient] = lines
    }

    /// The link to the server dropped: lines without a receipt to clients that answer receipts wait for their
    /// librarian; the others are forgotten. Returns how many wait.
    @discardableResult
    mutating func linkLost() -> Int {
        var held = 0
        for id in sendOrder[oldest...] {
            guard let pending = awaiting.removeValue(forKey: id), confirming.contains(pending.recipient) else { continue }
            keep(pending.element, for: pending.recipient)
            held += 1
        }
        awaiting.removeAll()
        sendOrder.removeAll()
        oldest = 0
        return held
    }

    /// The lines waiting for `recipient` (bare JID), oldest first, now removed.
    mutating func takeRedeliveries(for recipient: String) -> [XMLElement] {
        redeliveries.removeValue(forKey: recipient) ?? []
    }

    /// Forgets lines that waited longer than `window` for a receipt.
    mutating func prune(now time: Int64) {
        while let id = peekOldest(), let pending = awaiting[id], time - pending.sentAt > window {
            awaiting[id] = nil
        }
    }
}
