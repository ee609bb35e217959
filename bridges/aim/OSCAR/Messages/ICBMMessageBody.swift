/// One fragment inside an ICBM channel-1 message (TLV 0x02).
public struct ICBMFragment: Sendable, Hashable {
    /// Fragment id 0x05: the features the sender supports.
    public static let capabilitiesID: UInt8 = 0x05
    /// Fragment id 0x01: message text.
    public static let textID: UInt8 = 0x01
    /// The feature bytes AIM clients send with plain IMs.
    public static let defaultCapabilities: [UInt8] = [0x01, 0x01, 0x02]

    public var id: UInt8
    public var version: UInt8
    public var data: [UInt8]

    public init(id: UInt8, version: UInt8 = 0x01, data: [UInt8]) {
        self.id = id
        self.version = version
        self.data = data
    }
}

/// The text carried by a text fragment, with its declared charset.
public struct ICBMText: Sendable, Hashable {
    public var charset: MessageCharset
    /// Second charset word; clients send 0x0000 (0xFFFF from some old ones).
    public var language: UInt16
    public var bytes: [UInt8]

    public init(charset: MessageCharset, language: UInt16 = 0, bytes: [UInt8]) {
        self.charset = charset
        self.language = language
        self.bytes = bytes
    }

    /// Text encoded as ASCII when possible, otherwise UCS-2BE.
    public init(_ text: String) {
        let encoded = MessageTextCoding.encode(text)
        self.init(charset: encoded.charset, bytes: encoded.bytes)
    }

    /// The text as a Swift string (still HTML if the sender used HTML).
    public var string: String {
        MessageTextCoding.decode(bytes, charset: charset)
    }
}

/// The fragments of an ICBM channel-1 message: capabilities, then one or more text parts.
public struct ICBMMessageBody: Sendable, Hashable {
    public var fragments: [ICBMFragment]

    public init(fragments: [ICBMFragment]) {
        self.fragments = fragments
    }

    /// The usual outgoing body: default capabilities and `text` in one fragment.
    public init(text: String) {
        let encoded = ICBMText(text)
        var data: [UInt8] = []
        data.appendU16(encoded.charset.rawValue)
        data.appendU16(encoded.language)
        data.append(contentsOf: encoded.bytes)
        self.init(fragments: [
            ICBMFragment(id: ICBMFragment.capabilitiesID, data: ICBMFragment.defaultCapabilities),
            ICBMFragment(id: ICBMFragment.textID, data: data),
        ])
    }

    /// The text fragments, decoded; malformed text fragments (shorter than their charset
    /// header) are skipped.
    public var texts: [ICBMText] {
        fragments.compactMap { fragment in
            guard fragment.id == ICBMFragment.textID, fragment.data.count >= 4 else { return nil }
            return ICBMText(
                charset: MessageCharset(rawValue: UInt16(fragment.data[0]) << 8 | UInt16(fragment.data[1])),
                language: UInt16(fragment.data[2]) << 8 | UInt16(fragment.data[3]),
                bytes: Array(fragment.data[4...])
            )
        }
    }

    /// All text fragments joined, each decoded from its own charset.
    public var text: String {
        texts.map(\.string).joined()
    }

    public init(decoding bytes: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(bytes)
        var fragments: [ICBMFragment] = []
        while !reader.isAtEnd {
            let id = try reader.readU8("ICBM fragment id")
            let version = try reader.readU8("ICBM fragment version")
            let data = try reader.readU16Prefixed("ICBM fragment \(hex(id)) data")
            fragments.append(ICBMFragment(id: id, version: version, data: data))
        }
        self.fragments = fragments
    }

    public func encoded() throws(OSCAREncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        for fragment in fragments {
            bytes.appendU8(fragment.id)
            bytes.appendU8(fragment.version)
            try bytes.appendU16Prefixed(fragment.data, field: "ICBM fragment \(hex(fragment.id)) data")
        }
        return bytes
    }
}
