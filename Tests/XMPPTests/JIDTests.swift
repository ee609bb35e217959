import Testing
import XMPP

@Suite("JIDs parse, validate and reduce to bare JIDs")
struct JIDTests {
    @Test("valid JIDs split into node, domain and resource", arguments: [
        ("queue@refdesk.example.org", "queue", "refdesk.example.org", nil),
        ("alice@library.example.org/desk", "alice", "library.example.org", "desk"),
        ("refdesk.example.org", nil, "refdesk.example.org", nil),
        ("library.example.org/admin", nil, "library.example.org", "admin"),
        ("+15551234567@refdesk.example.org", "+15551234567", "refdesk.example.org", nil),
        ("patron\\40aol.com@refdesk.example.org", "patron\\40aol.com", "refdesk.example.org", nil),
        ("a@b.example/res/with@and/slash", "a", "b.example", "res/with@and/slash"),
        ("Juliet@Example.COM./Balcony", "Juliet", "example.com", "Balcony"),
    ] as [(String, String?, String, String?)])
    func parses(text: String, node: String?, domain: String, resource: String?) throws {
        let jid = try JID(text)
        #expect(jid.node == node)
        #expect(jid.domain == domain)
        #expect(jid.resource == resource)
    }

    @Test("invalid JIDs are refused with the reason", arguments: [
        ("", JIDError.empty),
        ("@example.com", .emptyPart(.node)),
        ("alice@", .emptyPart(.domain)),
        ("alice@example.com/", .emptyPart(.resource)),
        ("al ice@example.com", .forbiddenCharacter(.node, " ")),
        ("a:b@example.com", .forbiddenCharacter(.node, ":")),
        ("a@b@example.com", .forbiddenCharacter(.domain, "@")),
        ("alice@exa mple.com", .forbiddenCharacter(.domain, " ")),
        ("alice@example.com/\u{7}", .forbiddenCharacter(.resource, "\u{7}")),
    ])
    func refuses(text: String, expected: JIDError) {
        #expect(throws: expected) { try JID(text) }
    }

    @Test("a part over 1023 bytes is refused")
    func tooLong() {
        let node = String(repeating: "a", count: 1024)
        #expect(throws: JIDError.partTooLong(.node, bytes: 1024)) { try JID(node + "@example.com") }
    }

    @Test("bare drops the resource; description writes the JID back")
    func bareAndDescription() throws {
        let full = try JID("alice@library.example.org/desk")
        #expect(full.bare == (try JID("alice@library.example.org")))
        #expect(full.bare.isBare)
        #expect(!full.isBare)
        #expect(full.description == "alice@library.example.org/desk")
        #expect(full.bare.description == "alice@library.example.org")
    }

    @Test("domains compare case-insensitively, nodes and resources do not change")
    func normalisation() throws {
        #expect(try JID("alice@LIBRARY.example.org") == JID("alice@library.example.org"))
        #expect(try JID("Alice@library.example.org").node == "Alice")
    }

    @Test("a patron address becomes an escaped JID under the component domain and back")
    func escapingInitializer() throws {
        let jid = try JID(escapingNode: "patron@aol.com", domain: "refdesk.example.org")
        #expect(jid.description == "patron\\40aol.com@refdesk.example.org")
        #expect(jid.unescapedNode == "patron@aol.com")
        let phone = try JID(escapingNode: "+15551234567", domain: "refdesk.example.org")
        #expect(phone.description == "+15551234567@refdesk.example.org")
    }

    @Test("errors say which part is wrong and why")
    func errorDescriptions() {
        #expect(JIDError.forbiddenCharacter(.node, ":").description == "JID node contains the forbidden character U+3A")
        #expect(JIDError.partTooLong(.domain, bytes: 2000).description == "JID domain is 2000 bytes, more than the maximum 1023")
    }
}
