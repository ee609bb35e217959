import Testing
import XMPP

@Suite("XEP-0106 JID escaping")
struct JIDEscapingTests {
    /// The examples of XEP-0106 §5, plus the addresses refdesk produces.
    static let table: [(unescaped: String, escaped: String)] = [
        ("space cadet", "space\\20cadet"),
        ("call me \"ishmael\"", "call\\20me\\20\\22ishmael\\22"),
        ("at&t guy", "at\\26t\\20guy"),
        ("d'artagnan", "d\\27artagnan"),
        ("/.fanboy", "\\2f.fanboy"),
        ("::foo::", "\\3a\\3afoo\\3a\\3a"),
        ("<foo>", "\\3cfoo\\3e"),
        ("user@host", "user\\40host"),
        ("c:\\net", "c\\3a\\net"),
        ("c:\\\\net", "c\\3a\\\\net"),
        ("c:\\cool stuff", "c\\3a\\cool\\20stuff"),
        ("c:\\5commas", "c\\3a\\5c5commas"),
        ("patron@aol.com", "patron\\40aol.com"),
        ("+15551234567", "+15551234567"),
        ("SmarterChild", "SmarterChild"),
        ("john doe", "john\\20doe"),
        ("Zoë", "Zoë"),
    ]

    @Test("escaping follows the XEP table", arguments: table)
    func escapes(unescaped: String, escaped: String) throws {
        #expect(try JIDEscaping.escape(unescaped) == escaped)
    }

    @Test("unescaping follows the XEP table", arguments: table)
    func unescapes(unescaped: String, escaped: String) {
        #expect(JIDEscaping.unescape(escaped) == unescaped)
    }

    @Test("every escaped form is a valid JID node")
    func escapedFormsAreValidNodes() throws {
        for row in Self.table {
            let jid = try JID(node: row.escaped, domain: "refdesk.example.org")
            #expect(jid.unescapedNode == row.unescaped)
        }
    }

    @Test("backslashes not starting a known sequence are left alone when unescaping")
    func unknownSequencesKept() {
        #expect(JIDEscaping.unescape("a\\zzb\\") == "a\\zzb\\")
        #expect(JIDEscaping.unescape("\\4") == "\\4")
        #expect(JIDEscaping.unescape("\\41") == "\\41")
    }

    @Test("a leading or trailing space cannot be escaped; nor can an empty name")
    func outerSpacesRefused() {
        #expect(throws: JIDError.spaceAtNodeEdge) { try JIDEscaping.escape(" padded") }
        #expect(throws: JIDError.spaceAtNodeEdge) { try JIDEscaping.escape("padded ") }
        #expect(throws: JIDError.emptyPart(.node)) { try JIDEscaping.escape("") }
    }
}
