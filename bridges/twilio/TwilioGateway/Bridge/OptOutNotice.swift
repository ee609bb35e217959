/// The line added to a patron's STOP or START text so the librarian understands what happened, marked as refdesk's own words
/// like every notice in a patron's window.
///
/// The keyword itself still reaches the librarian (a patron who texts STOP in the middle of a
/// conversation is saying something), followed by what it did to the gateway.
public enum OptOutNotice {
    /// The body the router receives for `body` carrying `kind`; unchanged for HELP and ordinary texts.
    public static func annotate(_ body: String, kind: OptOutKind?) -> String {
        guard let kind, let note = note(for: kind) else { return body }
        return body.isEmpty ? note : body + "\n" + note
    }

    /// The note for `kind`, nil for HELP (which changes nothing).
    public static func note(for kind: OptOutKind) -> String? {
        switch kind {
        case .stop: "[refdesk] The patron opted out of texts from this number. Replies will not be sent until they text START."
        case .start: "[refdesk] The patron opted back in to texts from this number. Replies can be sent again."
        case .help: nil
        }
    }

    /// The reason a reply to an opted-out patron fails, as the librarian reads it.
    public static let blockedReason =
        "Not sent: the patron texted STOP to opt out of texts from this number. They must text START before the library can text them again."
}
