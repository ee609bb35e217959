/// Media a patron sent with a message (an MMS picture): a link the librarian's client can show in place.
public struct MediaLink: Hashable, Sendable, Codable {
    /// Where the media can be fetched.
    public var url: String
    /// Its MIME type as the network reported it (`image/jpeg`); empty when unknown.
    public var contentType: String

    public init(url: String, contentType: String) {
        self.url = url
        self.contentType = contentType
    }

    /// How a link reads in text (transcripts, hand-overs): `[image/jpeg] https://…`.
    public var described: String {
        contentType.isEmpty ? url : "[\(contentType)] \(url)"
    }
}

/// A line shown in a patron's window: what the patron wrote (with the media they sent), or refdesk's own words,
/// which a librarian must never mistake for the patron's.
public struct WindowLine: Hashable, Sendable {
    public var text: String
    public var media: [MediaLink]
    /// Refdesk's own words (a hand-over's conversation so far), not the patron's.
    public var fromRefdesk: Bool

    public init(text: String, media: [MediaLink] = [], fromRefdesk: Bool = false) {
        self.text = text
        self.media = media
        self.fromRefdesk = fromRefdesk
    }

    /// The text with the media as links, one a line: what transcripts keep.
    public var textWithLinks: String {
        ([text].filter { !$0.isEmpty } + media.map(\.described)).joined(separator: "\n")
    }
}
