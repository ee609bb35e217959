/// The user-info block: screen name, warning level and TLVs describing a user.
///
/// It appears in own-info replies, buddy arrivals/departures and incoming IMs; the bridge
/// mostly needs the screen name, the rest is kept for logging and future use.
public struct UserInfo: Sendable, Hashable {
    public enum TLVType {
        public static let userClass: UInt16 = 0x0001
        public static let onlineSince: UInt16 = 0x0003
        public static let idleMinutes: UInt16 = 0x0004
        public static let status: UInt16 = 0x0006
    }

    public var screenName: String
    /// The warning ("evil") level in tenths of a percent.
    public var warningLevel: UInt16
    public var tlvs: [TLV]

    public init(screenName: String, warningLevel: UInt16 = 0, tlvs: [TLV] = []) {
        self.screenName = screenName
        self.warningLevel = warningLevel
        self.tlvs = tlvs
    }

    /// Minutes idle (TLV 0x04), when the user is idle.
    public var idleMinutes: UInt16? { try? tlvs.first(type: TLVType.idleMinutes)?.u16Value() }
    /// Seconds since 1970 when the user signed on (TLV 0x03).
    public var onlineSince: UInt32? { try? tlvs.first(type: TLVType.onlineSince)?.u32Value() }
    /// User class bits (TLV 0x01); 0x0020 marks an away user.
    public var userClass: UInt16? { try? tlvs.first(type: TLVType.userClass)?.u16Value() }

    init(reading reader: inout ByteReader) throws(OSCARDecodingError) {
        screenName = String(decoding: try reader.readU8Prefixed("user-info screen name"), as: UTF8.self)
        warningLevel = try reader.readU16("user-info warning level")
        tlvs = try reader.readTLVList(format: .countPrefixed)
    }

    func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        try buffer.appendU8Prefixed(Array(screenName.utf8), field: "user-info screen name")
        buffer.appendU16(warningLevel)
        try tlvs.encode(into: &buffer, format: .countPrefixed)
    }
}
