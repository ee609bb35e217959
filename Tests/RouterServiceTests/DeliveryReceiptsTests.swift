import Testing
import XMPP

@testable import RouterService

@Suite("Delivery receipts: lines a crashed XMPP server swallowed go again, once, when their librarian is back")
struct DeliveryReceiptsTests {
    static func line(_ id: String, to: String = "alice@library.example/desk", body: String = "a patron's line") throws -> XMLElement {
        Message.chat(from: try JID("+15551230001@refdesk.example"), to: try JID(to), body: body, id: id, requestsReceipt: true).element
    }

    @Test("a confirmed line is forgotten; an unconfirmed one waits for its librarian after the link drops")
    func confirmedAndLost() throws {
        var receipts = DeliveryReceipts()
        receipts.sent(try Self.line("a"), at: 0)
        receipts.sent(try Self.line("b"), at: 1)
        receipts.sent(try Self.line("c"), at: 2)
        let outcome1 = receipts.confirmed(id: "a", by: "alice@library.example")
        #expect(outcome1)
        let outcome2 = receipts.linkLost()
        #expect(outcome2 == 2)
        let again = receipts.takeRedeliveries(for: "alice@library.example")
        #expect(again.map { $0[attribute: "id"] } == ["b", "c"], "oldest first, same ids")
        #expect(receipts.takeRedeliveries(for: "alice@library.example").isEmpty, "handed out once")
    }

    @Test("lines to a client that never answered a receipt are not sent twice")
    func clientWithoutReceipts() throws {
        var receipts = DeliveryReceipts()
        receipts.sent(try Self.line("a", to: "bob@library.example/laptop"), at: 0)
        let outcome3 = receipts.linkLost()
        #expect(outcome3 == 0)
        #expect(receipts.takeRedeliveries(for: "bob@library.example").isEmpty)
        #expect(!receipts.holdsWhileDisconnected("bob@library.example"))
    }

    @Test("a receipt from someone else does not confirm a line")
    func receiptFromAnotherJID() throws {
        var receipts = DeliveryReceipts()
        receipts.confirmed(id: "x", by: "alice@library.example")
        receipts.sent(try Self.line("a"), at: 0)
        let outcome4 = receipts.confirmed(id: "a", by: "mallory@elsewhere.example")
        #expect(!outcome4)
        let outcome5 = receipts.linkLost()
        #expect(outcome5 == 1)
    }

    @Test("a line the server bounces waits for its librarian when their client answers receipts")
    func bounced() throws {
        var receipts = DeliveryReceipts()
        receipts.confirmed(id: "earlier", by: "alice@library.example")
        receipts.sent(try Self.line("a"), at: 0)
        let outcome6 = receipts.bounced(id: "a")
        #expect(outcome6)
        let outcome7 = receipts.bounced(id: "a")
        #expect(!outcome7, "once")
        #expect(receipts.takeRedeliveries(for: "alice@library.example").count == 1)
    }

    @Test("lines older than the window are forgotten, and the number waiting is bounded")
    func pruneAndLimit() throws {
        var receipts = DeliveryReceipts(window: 1_000, limit: 2)
        receipts.confirmed(id: "earlier", by: "alice@library.example")
        receipts.sent(try Self.line("old"), at: 0)
        receipts.prune(now: 5_000)
        #expect(receipts.awaiting.isEmpty)
        for (index, id) in ["a", "b", "c"].enumerated() { receipts.sent(try Self.line(id), at: Int64(10_000 + index)) }
        #expect(Set(receipts.awaiting.keys) == ["b", "c"], "the oldest goes first")
    }

    @Test("many lines: the limit and the window drop the oldest first, skipping those already confirmed")
    func oldestFirstAtScale() throws {
        var receipts = DeliveryReceipts(window: 10_000, limit: 1_000)
        receipts.confirmed(id: "earlier", by: "alice@library.example")
        for n in 0..<5_000 {
            receipts.sent(try Self.line("l\(n)"), at: Int64(n))
            if n % 3 == 0 { receipts.confirmed(id: "l\(n)", by: "alice@library.example") }
        }
        #expect(receipts.awaiting.count == 1_000)
        let kept = receipts.awaiting.keys.compactMap { Int($0.dropFirst()) }
        #expect(kept.min()! > 3_400 && kept.max() == 4_999, "the newest unconfirmed lines stay")
        receipts.prune(now: 4_999 + 10_000 - 100)
        #expect(receipts.awaiting.keys.allSatisfy { Int($0.dropFirst())! >= 4_899 }, "older than the window: gone")
        let held = receipts.linkLost()
        #expect(held == receipts.takeRedeliveries(for: "alice@library.example").count)
        #expect(held == (4_899...4_999).filter { $0 % 3 != 0 }.count)
    }

    @Test("only messages that ask for a receipt are tracked; presence and plain messages are not")
    func onlyReceiptRequests() throws {
        var receipts = DeliveryReceipts()
        receipts.confirmed(id: "earlier", by: "alice@library.example")
        receipts.sent(Message.chat(from: try JID("q@refdesk.example"), to: try JID("alice@library.example/desk"), body: "hi", id: "p").element, at: 0)
        receipts.sent(Presence(from: try JID("q@refdesk.example"), to: try JID("alice@library.example"), type: .available).element, at: 0)
        #expect(receipts.awaiting.isEmpty)
    }
}
