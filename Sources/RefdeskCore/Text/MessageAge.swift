/// Marks a message delivered late with how old it is, so the librarian answering an
/// offline message knows the patron wrote it hours ago.
public enum MessageAge {
    /// A coarse, readable age: `just now`, `5 min`, `2 h 5 min`, `3 d 4 h`.
    ///
    /// Minutes are dropped once the age is a day or more; a negative age (clock skew between
    /// the gateway and the router) reads as `just now`.
    public static func describe(_ age: Duration) -> String {
        let minutes = age.wholeMilliseconds / 60_000
        if minutes < 1 { return "just now" }
        let days = minutes / (24 * 60)
        let hours = (minutes / 60) % 24
        let restMinutes = minutes % 60
        if days > 0 { return hours > 0 ? "\(days) d \(hours) h" : "\(days) d" }
        if hours > 0 { return restMinutes > 0 ? "\(hours) h \(restMinutes) min" : "\(hours) h" }
        return "\(restMinutes) min"
    }

    /// The text an operator sees: `(sent 2 h 5 min ago) original text` (only the mark for a picture sent alone).
    public static func mark(_ text: String, sentAt: Timestamp, now: Timestamp) -> String {
        let age = describe(now - sentAt)
        let mark = age == "just now" ? "(sent just now)" : "(sent \(age) ago)"
        return text.isEmpty ? mark : "\(mark) \(text)"
    }
}
