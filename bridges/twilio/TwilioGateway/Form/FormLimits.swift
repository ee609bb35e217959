/// Size limits applied while decoding a form body.
///
/// The defaults leave ample room for Twilio's largest messaging webhook (a 1,600-character
/// body of four-byte characters, percent-encoded, plus ten media URLs and the location
/// fields) while refusing bodies that could only be an attack or a misrouted upload.
public struct FormLimits: Sendable, Equatable {
    /// Largest raw (still encoded) body accepted.
    public var maximumBodyBytes: Int
    /// Largest number of `&`-separated fields accepted.
    public var maximumFieldCount: Int
    /// Largest decoded name, in UTF-8 bytes.
    public var maximumNameBytes: Int
    /// Largest decoded value, in UTF-8 bytes.
    public var maximumValueBytes: Int

    public init(
        maximumBodyBytes: Int = 128 * 1024,
        maximumFieldCount: Int = 200,
        maximumNameBytes: Int = 128,
        maximumValueBytes: Int = 16 * 1024
    ) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumFieldCount = maximumFieldCount
        self.maximumNameBytes = maximumNameBytes
        self.maximumValueBytes = maximumValueBytes
    }

    /// The limits used for Twilio webhooks.
    public static let webhook = FormLimits()
}
