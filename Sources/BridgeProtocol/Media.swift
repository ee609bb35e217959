/// A piece of media attached to an inbound message (an MMS image, for example).
///
/// Only the reference travels over the bridge protocol, never the bytes: frames stay small and the router
/// decides whether and how to pass the link on to the librarian.
public struct Media: Sendable, Hashable {
    /// Where the media can be fetched.
    public var url: String
    /// Its MIME type as reported by the outside network, e.g. `image/jpeg`; empty if unknown.
    public var contentType: String

    public init(url: String, contentType: String) {
        self.url = url
        self.contentType = contentType
    }
}
