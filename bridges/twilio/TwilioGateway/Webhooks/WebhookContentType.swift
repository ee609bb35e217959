/// The media type both webhook endpoints take: Twilio posts its fields as `application/x-www-form-urlencoded`.
///
/// A body of any other type is refused (415) before it is read, even when its bytes would parse as a form and carry
/// a valid signature: accepting `multipart/form-data` or `text/plain` as if it were a form reads something the sender
/// did not mean as one.
public enum WebhookContentType {
    public static let form = "application/x-www-form-urlencoded"

    /// Whether a `Content-Type` header value names the form media type. Parameters (`; charset=utf-8`) are allowed,
    /// the type is compared without regard to case (RFC 9110, section 8.3.1) and surrounding spaces are ignored.
    public static func isForm(_ header: String?) -> Bool {
        guard let header else { return false }
        let type = header.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let trimmed = type.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        return String(trimmed).lowercased() == form
    }

    /// Keeps a hostile header short in answers and logs.
    static func clip(_ value: String) -> String {
        value.count <= 64 ? value : String(value.prefix(64)) + "…"
    }
}
