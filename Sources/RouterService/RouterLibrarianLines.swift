import BridgeProtocol
import Logging
import RefdeskCore
import RefdeskStore
import XMPP
import XMPPComponent

/// Lines to librarians: staged into the commit that decides them, sent once it holds, kept until they arrive (see
/// `LibrarianOutbox`).
extension Router {
    /// What marks refdesk's own lines (answers, notices, hand-overs) in a patron's window, where everything else is
    /// the patron's: the same in every client, since it is part of the text.
    static let refdeskMarker = "[refdesk]"

    /// Adds a line to `changes`, to commit with the decision that sends it. It comes from the patron's address when
    /// it concerns a patron (so replying in that window reaches them), else from the component's domain.
    func stageLines(to jid: FullJID, from patron: PatronID?, _ line: WindowLine, into changes: inout StoreChanges) {
        guard let xmpp else { return }
        let from = patron.flatMap { patronJID($0)?.description } ?? xmpp.domain
        stageLines(to: jid, fromAddress: from, line, nick: patron.map(nickname(of:)), into: &changes)
    }

    /// Adds a line from `from` (a JID on the component's domain) to `changes`: its text, then each piece of media as
    /// a message of its own whose body is the link, as clients expect to show it in place.
    func stageLines(to jid: FullJID, fromAddress from: String, _ line: WindowLine, nick: String? = nil, into changes: inout StoreChanges) {
        func append(_ body: String, fromRefdesk: Bool, mediaURL: String?) {
            changes.librarianLines.append(
                LibrarianLineRecord(
                    seq: nextLineSeq, id: nextStanzaID(), recipient: jid.bare.description, to: jid.description, from: from, body: body,
                    createdAt: changes.time, fromRefdesk: fromRefdesk, mediaURL: mediaURL, nick: nick
                )
            )
            nextLineSeq += 1
        }
        if !line.text.isEmpty || line.media.isEmpty { append(line.text, fromRefdesk: line.fromRefdesk, mediaURL: nil) }
        for link in line.media { append(link.url, fromRefdesk: false, mediaURL: link.url) }
    }

    /// Refdesk's answer to a librarian who wrote where nothing could act on it (a queue's contact, a chat that
    /// ended): kept and sent like every line to a librarian.
    func answer(_ text: String, from: JID, to librarian: FullJID) async {
        var changes = StoreChanges(time: now())
        stageLines(to: librarian, fromAddress: from.description, WindowLine(text: text, fromRefdesk: true), into: &changes)
        guard !changes.isEmpty else { return }
        do {
            try await commit(changes)
        } catch {
            // commit() already logged it and marked the router failed.
        }
    }

    /// The lines of a commit that holds: they wait for their librarians, and go now to those who are connected.
    func linesCommitted(_ lines: [LibrarianLineRecord]) async {
        guard !lines.isEmpty else { return }
        let dropped = librarianOutbox.add(lines)
        if !dropped.isEmpty {
            logger.warning("too many lines wait for one librarian; the oldest were given up", metadata: ["lines": "\(dropped.count)"])
            await forgetLines(dropped)
        }
        var recipients: [String] = []
        for line in lines where !recipients.contains(line.recipient) { recipients.append(line.recipient) }
        for recipient in recipients { sendWaitingLines(to: recipient) }
    }

    /// Sends the lines waiting for `recipient` (a bare JID), in order, when the link is up and they are connected.
    func sendWaitingLines(to recipient: String) {
        guard let xmpp, xmpp.connection.isConnected, let resource = connectedResource(of: recipient) else { return }
        let connected = Set(availableResources.map(\.description))
        let lines = librarianOutbox.takeWaiting(for: recipient, resource: resource, isConnected: { connected.contains($0) })
        for line in lines {
            guard let element = Self.stanza(for: line) else {
                logger.error("a line to a librarian has an address that is not a JID; dropped", metadata: ["id": "\(line.id)", "to": "\(line.to)"])
                continue
            }
            xmpp.connection.send(element)
        }
    }

    /// One connected resource of `bare` (full JID text), preferring the one seen first in sort order.
    func connectedResource(of bare: String) -> String? {
        availableResources.filter { $0.bare.description == bare }.min()?.description
    }

    /// The chat stanza for a line: its own id on every send, repeated as an XEP-0359 origin id, and a receipt request.
    /// Refdesk's own lines start with ``refdeskMarker``; a media line carries its link as out-of-band data (XEP-0066),
    /// which clients show in place; lines from a patron's address carry the patron's nickname (XEP-0172).
    static func stanza(for line: LibrarianLineRecord) -> XMLElement? {
        guard let from = try? JID(line.from), let to = try? JID(line.to) else { return nil }
        let body = line.fromRefdesk ? "\(refdeskMarker) \(line.body)" : line.body
        var element = Message.chat(from: from, to: to, body: body, id: line.id, requestsReceipt: true).element
        if let nick = line.nick {
            element.append(XMLElement(name: "nick", namespace: XMPPNamespace.nick, text: nick))
        }
        if let url = line.mediaURL {
            var oob = XMLElement(name: "x", namespace: XMPPNamespace.outOfBand)
            oob.append(XMLElement(name: "url", namespace: XMPPNamespace.outOfBand, text: url))
            element.append(oob)
        }
        element.append(XMLElement(name: "origin-id", namespace: XMPPNamespace.stableStanzaIDs, attributes: ["id": line.id]))
        return element
    }

    /// The server's socket took these stanzas (by id): lines to clients that answer no receipts are done.
    func stanzasWritten(ids: [String]) async {
        let finished = librarianOutbox.written(ids: ids, at: now())
        await forgetLines(finished)
    }

    /// A delivery receipt from `sender` (bare JID) for `id`.
    func receiptReceived(id: String, from sender: String) async {
        let (finished, newClient) = librarianOutbox.confirmed(id: id, by: sender)
        guard finished || newClient else { return }
        let time = now()
        do {
            // Lost to a power cut, the line goes again under its own id (a repeat the client recognises), and the
            // client is learned again from its next receipt.
            try await database.write(durability: .deferredSync) { connection in
                if finished { try connection.deleteLibrarianLines(ids: [id]) }
                if newClient { try connection.addReceiptClient(sender, at: time) }
            }
        } catch {
            logger.error("cannot record a delivery receipt", metadata: ["error": "\(error)"])
        }
    }

    /// The server bounced one of our lines (its librarian went away): it waits for them, and goes again when they
    /// are back. Returns whether it was one of ours.
    func lineBounced(id: String) -> Bool {
        guard let line = librarianOutbox.lines[id], librarianOutbox.bounced(id: id) else { return false }
        logger.notice("the XMPP server bounced a line to a librarian; it waits for them", metadata: ["to": "\(line.record.recipient)", "id": "\(id)"])
        sendWaitingLines(to: line.record.recipient)
        return true
    }

    /// Written lines whose receipt never came are taken as arrived (the client stopped answering receipts).
    func expireUnconfirmedLines(now time: Int64) async throws {
        let expired = librarianOutbox.expire(now: time)
        guard !expired.isEmpty else { return }
        logger.notice("lines to librarians had no delivery receipt in time; not sent again", metadata: ["lines": "\(expired.count)"])
        await forgetLines(expired)
    }

    private func forgetLines(_ ids: [String]) async {
        guard !ids.isEmpty else { return }
        do {
            try await database.write(durability: .deferredSync) { try $0.deleteLibrarianLines(ids: ids) }
        } catch {
            // A row left behind is sent again after a restart, under its own id: a repeat clients recognise.
            logger.error("cannot forget lines that arrived", metadata: ["error": "\(error)"])
        }
    }

    /// Once an hour: dedupe ids older than a week (bridges resend within minutes) and reply records older than
    /// three days (networks report failures within hours).
    func pruneOldRecords(now time: Int64) async throws {
        guard time - lastPrune >= 3_600_000 else { return }
        lastPrune = time
        let (seen, replies) = try await database.write { connection in
            (try connection.pruneSeen(before: time - 7 * 86_400_000), try connection.pruneLibrarianReplies(before: time - 3 * 86_400_000))
        }
        if seen + replies > 0 { logger.info("old records pruned", metadata: ["seen_ids": "\(seen)", "replies": "\(replies)"]) }
    }

    // MARK: Replies that did not reach the patron

    /// The failure a bridge reports for a reply a librarian wrote; nil for refdesk's own messages (the offline
    /// reply) and replies too old to be remembered.
    func replyFailure(_ report: DeliveryReport, at time: Int64) async throws -> ReplyFailure? {
        guard let reply = try await database.read({ try $0.librarianReply(messageID: report.messageID) }) else { return nil }
        let conversation = reply.conversationID.map { ConversationID(UInt64($0)) }
        return ReplyFailure(
            conversation: conversation,
            patron: PatronID(gatewayID: GatewayID(UInt64(reply.gatewayID)), address: reply.patron),
            author: OperatorName(reply.operator),
            text: reply.body,
            reason: report.reason.isEmpty ? "The network gave no reason." : report.reason,
            at: Timestamp(millisecondsSinceEpoch: time)
        )
    }

    // MARK: Presence the router can trust

    /// Returns once what the router knows of presence is current: bridges' messages wait for it after a start or a
    /// lost link, so a patron's line to a chat whose owner is simply not heard from yet is not taken as the owner
    /// having left.
    func presenceKnown() async {
        guard !presenceGate.isOpen(now: now()) else { return }
        await withCheckedContinuation { presenceGate.waiters.append($0) }
    }

    /// Lets waiting bridge messages in once the gate's time is up.
    func openPresenceGateIfDue() {
        guard presenceGate.isOpen(now: now()) else { return }
        for waiter in presenceGate.takeWaiters() { waiter.resume() }
    }

    /// A presence (of any kind) from `bare`: an answer to its probe.
    func presenceHeard(from bare: String) {
        presenceGate.answered(bare, now: now())
        openPresenceGateIfDue()
    }
}

/// Whether the router's picture of presence can be trusted yet, and who waits until it can.
///
/// Presence is not saved: after a start, and after the link to the XMPP server came back, the router probes every
/// staffing JID. Until they have answered (or for at most `answerWithin` after the probes; or the settle time while
/// there is no link at all) the gate is closed.
struct PresenceGate: Sendable {
    /// The gate is open from this time on (ms).
    private(set) var openAt: Int64
    /// Staffing JIDs probed that have not answered.
    private(set) var unanswered: Set<String> = []
    var waiters: [CheckedContinuation<Void, Never>] = []

    init(openAt: Int64) {
        self.openAt = openAt
    }

    func isOpen(now time: Int64) -> Bool { time >= openAt }

    /// No link: nothing can be learned until it is back, or the settle time ends.
    mutating func closed(until time: Int64) {
        openAt = time
        unanswered = []
    }

    /// Probes went to `jids` at `time` (the link is up): closed until they answer, which takes milliseconds, or
    /// `answerWithin` has passed.
    mutating func probed(_ jids: Set<String>, at time: Int64, answerWithin: Int64 = 2_000) {
        unanswered = jids
        openAt = jids.isEmpty ? time : time + answerWithin
    }

    mutating func answered(_ jid: String, now time: Int64) {
        guard unanswered.remove(jid) != nil, unanswered.isEmpty else { return }
        openAt = min(openAt, time)
    }

    mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        defer { waiters = [] }
        return waiters
    }
}
