import Testing
import TwilioGateway

@Suite("TwiML responses")
struct TwiMLTests {
    @Test("the empty response and its content type are exactly what Twilio expects")
    func empty() {
        #expect(TwiML.emptyResponse == #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#)
        #expect(TwiML.contentType == "text/xml; charset=utf-8")
        #expect(TwiML.response([]) == TwiML.emptyResponse)
    }

    @Test("messages are written in order with their attributes")
    func messages() throws {
        let to = try #require(E164Number("+15551234567"))
        let xml = TwiML.response([TwiMLMessage(body: "First"), TwiMLMessage(body: "Second", to: to)])
        #expect(xml == #"<?xml version="1.0" encoding="UTF-8"?><Response><Message>First</Message><Message to="+15551234567">Second</Message></Response>"#)
    }

    @Test("text is escaped so a patron cannot change the document", arguments: [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("</Message><Redirect>http://evil</Redirect>", "&lt;/Message&gt;&lt;Redirect&gt;http://evil&lt;/Redirect&gt;"),
        (#"quotes " and ' stay in text"#, #"quotes " and ' stay in text"#),
        ("NUL\u{0} and ESC\u{1B} cannot appear in XML", "NUL\u{FFFD} and ESC\u{FFFD} cannot appear in XML"),
        ("line\nbreak\ttab 👋", "line\nbreak\ttab 👋"),
    ])
    func escaping(text: String, expected: String) {
        #expect(TwiML.escapeText(text) == expected)
    }

    @Test("attribute values escape quotes too")
    func attributeEscaping() {
        #expect(TwiML.escapeAttribute(#"a"b'c<&"#) == "a&quot;b&apos;c&lt;&amp;")
    }
}
