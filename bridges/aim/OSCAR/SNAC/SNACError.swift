/// An error reply (subtype 0x01) in any SNAC family.
///
/// The code means different things per family; the ICBM ones the bridge acts on have names.
public struct SNACError: Sendable, Hashable, CustomStringConvertible {
    /// ICBM (0x04) 0x0004: the recipient is offline and the message was not stored.
    public static let recipientNotLoggedIn: UInt16 = 0x0004
    /// 0x0002: the sender exceeded the server's rate limit; the message was dropped.
    public static let rateLimitExceeded: UInt16 = 0x0002
    /// 0x0003: the recipient's rate limit was exceeded.
    public static let recipientRateLimitExceeded: UInt16 = 0x0003

    public var family: UInt16
    public var code: UInt16
    /// Optional TLVs after the code (e.g. 0x08 sub-code).
    public var tlvs: [TLV]

    public init(family: UInt16, code: UInt16, tlvs: [TLV] = []) {
        self.family = family
        self.code = code
        self.tlvs = tlvs
    }

    /// Decodes the body of an error SNAC of `family`. Trailing TLVs that do not parse are
    /// ignored: the code is what matters and older servers append odd bytes.
    public init(family: UInt16, snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        self.family = family
        code = try reader.readU16("SNAC error code")
        tlvs = (try? reader.readTLVList(format: .toEnd)) ?? []
    }

    /// The body bytes (the code followed by the TLVs).
    public func encoded() throws(OSCAREncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendU16(code)
        try tlvs.encode(into: &bytes, format: .toEnd)
        return bytes
    }

    public var description: String {
        "SNAC error \(hex(code)) in family \(hex(family))"
    }
}
