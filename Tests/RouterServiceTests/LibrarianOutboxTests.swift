import RefdeskStore
import Testing

@testable import RouterService

/// Lines to librarians leave the router's outbox only once they are known to have arrived, go in order, and go
/// again under their own id when that is not known (docs/reliability.md, "Lines to librarians").
@Suite("Librarian outbox")
struct LibrarianOutboxTests {
    static let alice = "alice@library.example"
    static let bob = "bob@library.example"

    static func line(_ seq: Int64, to recipient: String = alice, resource: String = "desk") -> LibrarianLineRecord {
        LibrarianLineRecord(
            seq: seq, id: "id\(seq)", recipient: recipient, to: "\(recipient)/\(resource)", from: "+15551230001@refdesk.example",
            body: "line \(seq)", createdAt: 0
        )
    }

    static func connected(_ jids: String...) -> (String) -> Bool {
        { jids.contains($0) }
    }

    @Test("lines wait for their librarian and go in the order they were decided")
    func linesWaitAndGoInOrder() {
        var outbox = LibrarianOutbox(restoring: [], receiptClients: [])
        _ = outbox.add([Self.line(2), Self.line(1), Self.line(3, to: Self.bob)])
        #expect(outbox.recipientsWaiting == [Self.alice, Self.bob])
        let sent = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        #expect(sent.map(\.seq) == [1, 2], "in the order decided, even when commits finish out of order")
        #expect(outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected()).isEmpty, "handed over once")
    }

    @Test("a restored outbox sends in sequence order")
    func restoredInSequenceOrder() {
        var outbox = LibrarianOutbox(restoring: [Self.line(3), Self.line(1), Self.line(2)], receiptClients: [])
        let sent = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        #expect(sent.map(\.seq) == [1, 2, 3])
    }

    @Test("a line whose resource is gone goes to the librarian's connected resource")
    func readdressedToAConnectedResource() {
        var outbox = LibrarianOutbox(restoring: [Self.line(1, resource: "laptop")], receiptClients: [])
        let sent = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/phone", isConnected: Self.connected("\(Self.alice)/phone"))
        #expect(sent.map(\.to) == ["\(Self.alice)/phone"])
    }

    @Test("a line to a client that answers no receipts leaves once written; one to a client that does, on its receipt")
    func leavingDependsOnTheClient() {
        var outbox = LibrarianOutbox(restoring: [Self.line(1), Self.line(2, to: Self.bob)], receiptClients: [Self.bob])
        _ = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        _ = outbox.takeWaiting(for: Self.bob, resource: "\(Self.bob)/desk", isConnected: Self.connected("\(Self.bob)/desk"))
        let finished = outbox.written(ids: ["id1", "id2"], at: 10)
        #expect(finished == ["id1"])
        #expect(outbox.count == 1)
        let wrongSender = outbox.confirmed(id: "id2", by: Self.alice)
        #expect(!wrongSender.finished, "a receipt counts only from the line's own librarian")
        let receipt = outbox.confirmed(id: "id2", by: Self.bob)
        #expect(receipt.finished && !receipt.newReceiptClient)
        #expect(outbox.count == 0)
    }

    @Test("the first receipt from a client marks it as one that answers receipts")
    func firstReceiptMarksTheClient() {
        var outbox = LibrarianOutbox(restoring: [], receiptClients: [])
        let first = outbox.confirmed(id: "unknown", by: Self.alice)
        let second = outbox.confirmed(id: "unknown", by: Self.alice)
        #expect(first.newReceiptClient)
        #expect(!second.newReceiptClient)
        #expect(outbox.receiptClients == [Self.alice])
    }

    @Test("a lost link puts back what is not known to have arrived, in order, ahead of newer lines")
    func lostLinkRequeuesInOrder() {
        var outbox = LibrarianOutbox(restoring: [Self.line(1), Self.line(2), Self.line(3)], receiptClients: [Self.alice])
        _ = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        _ = outbox.written(ids: ["id1", "id2"], at: 5)
        _ = outbox.confirmed(id: "id1", by: Self.alice)
        _ = outbox.add([Self.line(4)])
        let requeued = outbox.linkLost()
        #expect(requeued == 2)
        let again = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        #expect(again.map(\.id) == ["id2", "id3", "id4"], "same ids, oldest first")
    }

    @Test("a bounced line waits for its librarian again, in its place")
    func bouncedLineWaitsAgain() {
        var outbox = LibrarianOutbox(restoring: [Self.line(1), Self.line(2)], receiptClients: [])
        _ = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        _ = outbox.add([Self.line(3)])
        let bounced = outbox.bounced(id: "id2")
        let stillWaiting = outbox.bounced(id: "id3")
        #expect(bounced)
        #expect(!stillWaiting, "a line still waiting was never sent")
        let again = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        #expect(again.map(\.id) == ["id2", "id3"])
    }

    @Test("a written line without a receipt within the window is given up; waiting lines are not")
    func unconfirmedLinesExpire() {
        var outbox = LibrarianOutbox(restoring: [Self.line(1), Self.line(2, to: Self.bob)], receiptClients: [Self.alice], receiptWindow: 1_000)
        _ = outbox.takeWaiting(for: Self.alice, resource: "\(Self.alice)/desk", isConnected: Self.connected("\(Self.alice)/desk"))
        _ = outbox.written(ids: ["id1"], at: 100)
        let early = outbox.expire(now: 1_000)
        let late = outbox.expire(now: 1_101)
        #expect(early.isEmpty)
        #expect(late == ["id1"])
        #expect(outbox.recipientsWaiting == [Self.bob], "a line waiting for its librarian stays, however long")
    }

    @Test("at most waitingLimit lines wait for one librarian; the oldest go")
    func waitingIsBounded() {
        var outbox = LibrarianOutbox(restoring: [], receiptClients: [], waitingLimit: 2)
        let dropped = outbox.add([Self.line(1), Self.line(2), Self.line(3)])
        #expect(dropped == ["id1"])
        #expect(outbox.count == 2)
    }
}
