import Testing
@testable import RefdeskCore

@Suite("Presence book")
struct PresenceBookTests {
    @Test("presence is kept per resource and unavailable removes only that resource")
    func perResource() throws {
        var book = PresenceBook()
        let desk = try FullJID(parsing: "alice@example.org/desk")
        let phone = try FullJID(parsing: "alice@example.org/phone")
        book.update(jid: desk.bare, resource: desk.resource, show: .dnd, at: t(0))
        book.update(jid: phone.bare, resource: phone.resource, show: .chat, at: t(1))
        #expect(book.show(of: desk) == .dnd)
        #expect(book.show(of: phone) == .chat)
        #expect(book.isRoutable([desk.bare]))
        book.update(jid: phone.bare, resource: phone.resource, show: nil, at: t(2))
        #expect(book.show(of: phone) == nil)
        #expect(book.show(of: desk) == .dnd)
        #expect(!book.isRoutable([desk.bare]))
    }

    @Test("an owned chat prefers a routable resource, then busy, then away")
    func ownedChatPreference() throws {
        var book = PresenceBook()
        let away = try FullJID(parsing: "alice@example.org/away")
        let busy = try FullJID(parsing: "alice@gmail.com/busy")
        let free = try FullJID(parsing: "alice@example.org/free")
        let jids = [away.bare, busy.bare]
        book.update(jid: away.bare, resource: away.resource, show: .away, at: t(5))
        #expect(book.resourceForOwnedChat(among: jids) == away)
        #expect(book.resourceForNewChat(among: jids) == nil)
        book.update(jid: busy.bare, resource: busy.resource, show: .dnd, at: t(1))
        #expect(book.resourceForOwnedChat(among: jids) == busy)
        book.update(jid: free.bare, resource: free.resource, show: .available, at: t(0))
        #expect(book.resourceForOwnedChat(among: jids) == free)
        #expect(book.resourceForNewChat(among: jids) == free)
    }

    @Test("repeating the same show does not make a resource look newer")
    func repeatedShowKeepsItsAge() throws {
        var book = PresenceBook()
        let first = try FullJID(parsing: "alice@example.org/first")
        let second = try FullJID(parsing: "alice@example.org/second")
        book.update(jid: first.bare, resource: first.resource, show: .available, at: t(0))
        book.update(jid: second.bare, resource: second.resource, show: .available, at: t(1))
        book.update(jid: first.bare, resource: first.resource, show: .available, at: t(2))
        #expect(book.resourceForNewChat(among: [first.bare]) == second)
    }
}
