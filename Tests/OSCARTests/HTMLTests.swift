import OSCAR
import Testing

@Suite("Incoming HTML")
struct IncomingHTMLTests {
    @Test(arguments: [
        ("<HTML><BODY>hi &amp; bye</BODY></HTML>", "hi & bye"),
        ("line one<br>line two<BR/>three", "line one\nline two\nthree"),
        ("<HTML><BODY BGCOLOR=\"#ffffff\"><FONT FACE=\"Arial\" SIZE=2>Where is the <B>atlas</B>?</FONT></BODY></HTML>", "Where is the atlas?"),
        ("&lt;b&gt; &quot;q&quot; &#233; &#x20AC; &bogus; & alone", "<b> \"q\" é € &bogus; & alone"),
        ("I <3 books and 1 < 2", "I <3 books and 1 < 2"),
        ("plain text", "plain text"),
        ("<p>one</p><p>two</p>", "one\ntwo\n"),
    ])
    func `tags are dropped and line breaks kept`(html: String, plain: String) {
        #expect(HTMLText.plainText(fromHTML: html) == plain)
    }

    @Test(arguments: [
        ("caf&eacute; &copy; 10&euro;", "café © 10€"),
        ("wait&hellip; na&iuml;ve &mdash; &frac12; &alpha;&beta; &hearts;", "wait… naïve — ½ αβ ♥"),
        ("&AElig;&szlig;&Uuml;&ntilde;&rsquo;&ldquo;&rdquo;&trade;&nbsp;!", "ÆßÜñ’“”™\u{00A0}!"),
        ("&NotNestedGreaterGreater; &CounterClockwiseContourIntegral;", "\u{2AA2}\u{0338} \u{2233}"),
        ("&fjlig; &ThickSpace;", "fj \u{205F}\u{200A}"),
    ])
    func `every named character reference of HTML is decoded`(html: String, plain: String) {
        #expect(HTMLText.plainText(fromHTML: html) == plain)
    }

    @Test(arguments: [
        // Legacy names may stand without their semicolon, and the longest one matches, as in browsers.
        ("&copy 2024 AT&T &amp", "© 2024 AT&T &"),
        ("&notit; &notin;", "¬it; ∉"),
        // Unknown names and a lone ampersand stay as typed.
        ("&unknownentity; R&D &;", "&unknownentity; R&D &;"),
        ("&#x; &#; &#xZZ;", "&#x; &#; &#xZZ;"),
    ])
    func `named references follow HTML's matching rules`(html: String, plain: String) {
        #expect(HTMLText.plainText(fromHTML: html) == plain)
    }

    @Test(arguments: [
        ("&#233;&#xe9;&#XE9;&#233", "éééé"),
        ("&#128512;&#x1F600;", "😀😀"),
        // HTML's replacements: NUL, surrogates and values beyond Unicode become U+FFFD; 0x80–0x9F are Windows-1252.
        ("&#0;&#xD800;&#x110000;&#99999999999999999999;", "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        ("&#150;&#x80;&#x99;&#x81;", "–€™\u{0081}"),
    ])
    func `numeric references are decoded with HTML's replacements`(html: String, plain: String) {
        #expect(HTMLText.plainText(fromHTML: html) == plain)
    }

    @Test(arguments: [
        ("See <A HREF=\"http://www.example.org/\">http://www.example.org/</A> now", "See http://www.example.org/ now"),
        ("go to <a href=\"https://library.example.org/hours?a=1&amp;b=2\">our hours</a>.", "go to our hours (https://library.example.org/hours?a=1&b=2)."),
        ("<a href='mailto:ask@example.org'>ask@example.org</a>", "ask@example.org"),
        ("<a href=http://x.example>x.example</a>", "x.example"),
        ("<a href=\"http://x.example/a>b\">here</a>", "here (http://x.example/a>b)"),
        ("<a href=\"http://x.example\"></a>", "http://x.example"),
        ("<a name=\"top\">top</a>", "top"),
        // In an address, a name without ";" before "=" or a letter is not a reference (HTML's attribute rule).
        ("<a href=\"http://x.example/?a=1&lt=2&copy;&ampx\">go</a>", "go (http://x.example/?a=1&lt=2©&ampx)"),
    ])
    func `a link keeps its address when its text does not show it`(html: String, plain: String) {
        #expect(HTMLText.plainText(fromHTML: html) == plain)
    }

    @Test func `the offline-message notice of a real server reads as plain text`() {
        let html = "You just received 2 IM(s) while you were offline. If you do not wish to receive offline messages, "
            + "please go to <a href=\"https://settings.example.org/im?x=1&list=2\">IM Settings</a>."
        #expect(HTMLText.plainText(fromHTML: html) == "You just received 2 IM(s) while you were offline. If you do not wish to receive "
            + "offline messages, please go to IM Settings (https://settings.example.org/im?x=1&list=2).")
    }

    @Test func `a long run of hostile input is read in one pass without crashing`() {
        var generator = SplitMix64(seed: 18)
        let alphabet = Array("<>&#;xX0123456789abcdefABCDEF \"'=/aA!-é😀\n")
        for _ in 0..<200 {
            let text = String((0..<Int.random(in: 0..<300, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            _ = HTMLText.plainText(fromHTML: text)
        }
    }
}

@Suite("Outgoing HTML")
struct OutgoingHTMLTests {
    @Test(arguments: [
        ("hello", "<HTML><BODY>hello</BODY></HTML>"),
        ("a & b <tag> \"q\"", "<HTML><BODY>a &amp; b &lt;tag&gt; &quot;q&quot;</BODY></HTML>"),
        ("one\ntwo\r\nthree", "<HTML><BODY>one<BR>two<BR>three</BODY></HTML>"),
        ("<b>not bold</b>", "<HTML><BODY>&lt;b&gt;not bold&lt;/b&gt;</BODY></HTML>"),
    ])
    func `text is escaped with line breaks as AIM clients write it`(text: String, html: String) {
        #expect(AIMMarkup.html(fromPlainText: text) == html)
    }

    @Test(arguments: [
        ("see https://example.org/hours.", "see <A HREF=\"https://example.org/hours\">https://example.org/hours</A>."),
        ("(www.example.org)", "(<A HREF=\"http://www.example.org\">www.example.org</A>)"),
        ("http://en.example.org/wiki/Foo_(bar), ok", "<A HREF=\"http://en.example.org/wiki/Foo_(bar)\">http://en.example.org/wiki/Foo_(bar)</A>, ok"),
        ("http://x.example/?a=1&b=\"2\"", "<A HREF=\"http://x.example/?a=1&amp;b=&quot;2\">http://x.example/?a=1&amp;b=&quot;2</A>&quot;"),
        ("just http:// and www. alone", "just http:// and www. alone"),
    ])
    func `web addresses become links`(text: String, body: String) {
        #expect(AIMMarkup.html(fromPlainText: text) == "<HTML><BODY>" + body + "</BODY></HTML>")
    }

    @Test(arguments: [
        "a & b", "<b>not bold</b>", "two\nlines", "x > y && y < z", "see https://example.org/a?b=1&c=2 now",
        "café © 10€ 😀", "&amp; is how you write &", "www.example.org",
    ])
    func `what a patron's client shows is what the librarian typed`(text: String) {
        #expect(HTMLText.plainText(fromHTML: AIMMarkup.html(fromPlainText: text)) == text)
    }
}

@Suite("IM layout")
struct IMLayoutTests {
    static let layout = IMLayout(maximumTextBytes: 512)

    @Test func `a short reply is one IM`() {
        #expect(Self.layout.pieces(of: "Second floor, near the windows.") == ["Second floor, near the windows."])
    }

    @Test func `a long reply is split between words into IMs that fit, in order`() {
        var generator = SplitMix64(seed: 7)
        let words = (0..<400).map { index in String(repeating: "w", count: Int.random(in: 1..<12, using: &generator)) + "\(index)" }
        let text = words.joined(separator: " ")
        let pieces = Self.layout.pieces(of: text)
        #expect(pieces.count > 1)
        for piece in pieces {
            #expect(IMLayout.encodedSize(of: piece) <= 512)
            #expect(piece.first?.isWhitespace == false && piece.last?.isWhitespace == false, "a break drops its blanks")
        }
        // Every word arrives once, whole and in order.
        let received = pieces.joined(separator: " ").split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(received == text.split(whereSeparator: \.isWhitespace).map(String.init))
        // Pieces are full: each but the last would overflow with the next word.
        for (piece, next) in zip(pieces, pieces.dropFirst()) {
            let nextWord = String(next.split(whereSeparator: \.isWhitespace)[0])
            #expect(!Self.layout.fits(piece + " " + nextWord))
        }
    }

    @Test func `markup and UCS-2 count against the limit`() {
        // "&" becomes "&amp;" and a link is written twice; non-ASCII text goes as UCS-2, two bytes a character.
        let ampersands = String(repeating: "& ", count: 200)
        for piece in Self.layout.pieces(of: ampersands) { #expect(IMLayout.encodedSize(of: piece) <= 512) }
        let accented = String(repeating: "café ", count: 200)
        let pieces = Self.layout.pieces(of: accented)
        #expect(pieces.allSatisfy { IMLayout.encodedSize(of: $0) <= 512 })
        #expect(pieces.count >= 1000 * 2 / 512)
        let links = String(repeating: "https://example.org/a/long/path ", count: 40)
        #expect(Self.layout.pieces(of: links).allSatisfy { IMLayout.encodedSize(of: $0) <= 512 })
    }

    @Test func `a word longer than an IM is cut between characters`() {
        let word = String(repeating: "x", count: 1500)
        let pieces = Self.layout.pieces(of: "start " + word + " end")
        #expect(pieces.joined().filter { $0 != " " } == "start" + word + "end")
        #expect(pieces.allSatisfy { IMLayout.encodedSize(of: $0) <= 512 })
        #expect(pieces.count == 5, "start; three full cuts of 486 characters; the last 42 with end")
    }

    @Test func `line breaks inside a long reply are kept, except at a break`() {
        let text = (0..<200).map { "line\($0)" }.joined(separator: "\n")
        let pieces = Self.layout.pieces(of: text)
        #expect(pieces.count > 1)
        #expect(pieces.joined(separator: "\n") == text)
    }

    @Test func `lines are joined with line breaks while they fit`() {
        #expect(Self.layout.joined(["one", "two"]) == "one\ntwo")
        #expect(Self.layout.joined([String(repeating: "a", count: 300), String(repeating: "b", count: 300)]) == nil)
    }

    @Test func `a server's implausibly small limit is raised to a workable one`() {
        #expect(IMLayout(maximumTextBytes: 10).maximumTextBytes == IMLayout.smallestLimit)
        #expect(IMLayout(maximumTextBytes: 10).pieces(of: String(repeating: "é", count: 100)).allSatisfy {
            IMLayout.encodedSize(of: $0) <= IMLayout.smallestLimit
        })
    }
}
