/// The body of a channel-1 (sign-on) frame: a u32 protocol version, then TLVs.
///
/// On the authorization connection both sides send the bare version; on a BOS connection the
/// client adds the cookie (TLV 0x06) from the login reply.
public struct SignOnPayload: Sendable, Hashable {
    public static let cookieTLV: UInt16 = 0x0006

    public var version: UInt32
    public var tlvs: [TLV]

    public init(version: UInt32 = 1, tlvs: [TLV] = []) {
        self.version = version
        self.tlvs = tlvs
    }

    /// The client's answer on a BOS connection: version 1 and the login cookie.
    public static func bosSignOn(cookie: [UInt8]) -> SignOnPayload {
        SignOnPayload(tlvs: [TLV(type: cookieTLV, value: cookie)])
    }

    public var cookie: [UInt8]? { tlvs.first(type: Self.cookieTLV)?.value }

    public init(decoding payload: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(payload)
        version = try reader.readU32("FLAP sign-on version")
        tlvs = try reader.readTLVList(format: .toEnd)
    }

    public func encoded() throws(OSCAREncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendU32(version)
        try tlvs.encode(into: &bytes, format: .toEnd)
        return bytes
    }

    public func frame(sequence: UInt16) throws(OSCAREncodingError) -> FLAPFrame {
        FLAPFrame(channel: .signOn, sequence: sequence, payload: try encoded())
    }
}

/// The body of a channel-4 (sign-off) frame.
///
/// A client signs off with an empty body; a server that disconnects a client may say why
/// (TLV 0x09, e.g. 0x0001 "signed on elsewhere") and where to read more (TLV 0x0B).
public struct SignOffPayload: Sendable, Hashable {
    public static let reasonTLV: UInt16 = 0x0009
    public static let urlTLV: UInt16 = 0x000B
    /// Reason 0x0001: the screen name signed on from another client.
    public static let signedOnElsewhere: UInt16 = 0x0001

    public var tlvs: [TLV]

    public init(tlvs: [TLV] = []) {
        self.tlvs = tlvs
    }

    public init(reason: UInt16?, url: String?) {
        var tlvs: [TLV] = []
        if let reason { tlvs.append(.u16(Self.reasonTLV, reason)) }
        if let url { tlvs.append(.string(Self.urlTLV, url)) }
        self.tlvs = tlvs
    }

    public var reason: UInt16? { try? tlvs.first(type: Self.reasonTLV)?.u16Value() }
    public var url: String? { tlvs.first(type: Self.urlTLV)?.stringValue }

    public init(decoding payload: [UInt8]) throws(OSCARDecodingError) {
        tlvs = try [TLV].decode(payload, format: .toEnd)
    }

    public func encoded() throws(OSCAREncodingError) -> [UInt8] {
        try tlvs.encoded(format: .toEnd)
    }

    public func frame(sequence: UInt16) throws(OSCAREncodingError) -> FLAPFrame {
        FLAPFrame(channel: .signOff, sequence: sequence, payload: try encoded())
    }
}

extension FLAPFrame {
    /// A keepalive (channel 5, empty): sent periodically so idle sessions are not reaped.
    public static func keepalive(sequence: UInt16) -> FLAPFrame {
        FLAPFrame(channel: .keepalive, sequence: sequence, payload: [])
    }
}
