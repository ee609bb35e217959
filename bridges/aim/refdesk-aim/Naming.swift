import OSCAR

/// How gateway usernames, patrons' screen names and message ids are written on the bridge protocol.
enum AIMNaming {
    /// The screen name a gateway signs on with. LibraryH3lp-style configurations write AIM accounts as
    /// `name@aol.com`; the domain is not part of the screen name, so it is dropped.
    static func screenName(fromUsername username: String) -> String {
        let trimmed = trimmingBlanks(username)
        guard let at = trimmed.lastIndex(of: "@") else { return trimmed }
        return String(trimmed[..<at])
    }

    /// The one spelling of a screen name used towards the router: servers return names with varying case and
    /// spacing, and the router must see one patron as one sender.
    static func normalized(_ name: String) -> String {
        ScreenName.normalize(screenName(fromUsername: name))
    }

    /// A stable id for an incoming IM: the sender chose the ICBM cookie, so cookie plus sender (plus the gateway
    /// that received it) names the message, and a redelivery of it gets the same id and is dropped by the spool.
    static func incomingID(gatewayID: UInt64, sender: String, cookie: UInt64) -> String {
        "aim-\(gatewayID)-\(normalized(sender))-\(hex16(cookie))"
    }

    /// The id of the delivery report about outbound message `messageID`: one report per message and outcome.
    static func statusID(messageID: String, sent: Bool) -> String {
        "\(messageID)#\(sent ? "sent" : "failed")"
    }

    private static func trimmingBlanks(_ text: String) -> String {
        var scalars = Substring(text)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
