import RefdeskStore
import Testing
import XMPP

@testable import RouterService

/// The chat stanzas lines to librarians become: refdesk's own words marked, a patron's picture as a link clients show.
@Suite("Lines to librarians as stanzas")
struct LibrarianStanzaTests {
    static func line(body: String, fromRefdesk: Bool = false, mediaURL: String? = nil) -> LibrarianLineRecord {
        LibrarianLineRecord(
            seq: 1, id: "rd-1", recipient: "bob@localhost", to: "bob@localhost/desk", from: "+15551234567@refdesk.localhost", body: body,
            createdAt: 0, fromRefdesk: fromRefdesk, mediaURL: mediaURL
        )
    }

    @Test("the patron's words go as they are; refdesk's start with its marker")
    func marker() throws {
        let patron = try #require(Router.stanza(for: Self.line(body: "Do you have the Times?")))
        #expect(try Message(element: patron).body == "Do you have the Times?")
        let notice = try #require(Router.stanza(for: Self.line(body: "Chat 4 closed.", fromRefdesk: true)))
        #expect(try Message(element: notice).body == "[refdesk] Chat 4 closed.")
    }

    @Test("a picture goes as its link in the body and as out-of-band data (XEP-0066), with a receipt request and origin id")
    func picture() throws {
        let url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
        let element = try #require(Router.stanza(for: Self.line(body: url, mediaURL: url)))
        #expect(try Message(element: element).body == url)
        let oob = try #require(element.child(named: "x", namespace: XMPPNamespace.outOfBand))
        #expect(oob.child(named: "url", namespace: XMPPNamespace.outOfBand)?.text == url)
        #expect(element.child(named: "origin-id", namespace: XMPPNamespace.stableStanzaIDs)?[attribute: "id"] == "rd-1")
        #expect(try Message(element: element).requestsReceipt)
    }
}
