/// The compliance keyword a patron's text amounts to.
///
/// Carriers require that STOP ends messages to a number, START resumes them and HELP gets
/// an informational answer. Twilio reports its own reading in `OptOutType` when Advanced
/// Opt-Out is on; otherwise the gateway applies Twilio's default keyword lists itself, so
/// the router never treats "STOP" as a reference question or keeps texting an opted-out patron.
public enum OptOutKind: String, Sendable, CaseIterable {
    /// The patron asked to receive no more messages.
    case stop = "STOP"
    /// The patron asked to receive messages again.
    case start = "START"
    /// The patron asked for help about the service.
    case help = "HELP"

    /// Twilio's default opt-out keywords for long codes.
    public static let stopKeywords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
    /// Twilio's default opt-in keywords.
    public static let startKeywords: Set<String> = ["START", "YES", "UNSTOP"]
    /// Twilio's default help keywords.
    public static let helpKeywords: Set<String> = ["HELP", "INFO"]

    /// The kind signalled by a message.
    ///
    /// `OptOutType` wins when Twilio sent a value it defines. Otherwise the whole body,
    /// trimmed of surrounding white space, must equal a keyword ignoring case: "stop" is
    /// an opt-out, "Stop texting me" and "STOP." are ordinary messages.
    public static func detect(optOutType: String?, body: String) -> OptOutKind? {
        if let optOutType, let kind = OptOutKind(rawValue: optOutType.uppercased()) {
            return kind
        }
        return keyword(in: body)
    }

    /// The kind whose keyword list holds the trimmed, upper-cased body, if any.
    public static func keyword(in body: String) -> OptOutKind? {
        let word = String(body.trimmingWhitespace()).uppercased()
        if stopKeywords.contains(word) { return .stop }
        if startKeywords.contains(word) { return .start }
        if helpKeywords.contains(word) { return .help }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (including line breaks).
    func trimmingWhitespace() -> SubSequence {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace })
        else { return self[endIndex...] }
        return self[first...last]
    }
}
