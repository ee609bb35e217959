/// OService (family 0x01): connection-level negotiation common to every OSCAR service.
public enum OService {
    public static let family: UInt16 = 0x0001
}

/// A family and the version of it a peer speaks.
public struct FamilyVersion: Sendable, Hashable {
    public var family: UInt16
    public var version: UInt16

    public init(family: UInt16, version: UInt16) {
        self.family = family
        self.version = version
    }
}

/// 0x01/0x03: the families this server hosts; the first thing a BOS server sends.
public struct HostOnline: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0003

    public var families: [UInt16]

    public init(families: [UInt16]) {
        self.families = families
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        guard snacData.count % 2 == 0 else {
            throw .invalidValue(field: "host online family list", reason: "odd length \(snacData.count)")
        }
        var reader = ByteReader(snacData)
        var families: [UInt16] = []
        while !reader.isAtEnd {
            families.append(try reader.readU16("host online family"))
        }
        self.families = families
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        for family in families { buffer.appendU16(family) }
    }
}

/// Shared body of 0x01/0x17 and 0x01/0x18: a list of family/version pairs.
public protocol FamilyVersionList: SNACMessage {
    var versions: [FamilyVersion] { get }
    init(versions: [FamilyVersion])
}

extension FamilyVersionList {
    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        guard snacData.count % 4 == 0 else {
            throw .invalidValue(field: "family version list", reason: "length \(snacData.count) is not a multiple of 4")
        }
        var reader = ByteReader(snacData)
        var versions: [FamilyVersion] = []
        while !reader.isAtEnd {
            let family = try reader.readU16("family")
            let version = try reader.readU16("family version")
            versions.append(FamilyVersion(family: family, version: version))
        }
        self.init(versions: versions)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        for entry in versions {
            buffer.appendU16(entry.family)
            buffer.appendU16(entry.version)
        }
    }
}

/// 0x01/0x17: the family versions the client speaks.
public struct ClientVersions: FamilyVersionList, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0017

    /// The families an IM-only client uses, at the versions AIM 5 announced.
    public static let instantMessaging = ClientVersions(versions: [
        FamilyVersion(family: 0x0001, version: 3),
        FamilyVersion(family: 0x0002, version: 1),
        FamilyVersion(family: 0x0003, version: 1),
        FamilyVersion(family: 0x0004, version: 1),
        FamilyVersion(family: 0x0009, version: 1),
    ])

    public var versions: [FamilyVersion]
    public init(versions: [FamilyVersion]) { self.versions = versions }
}

/// 0x01/0x18: the family versions the server agreed to.
public struct HostVersions: FamilyVersionList, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0018

    public var versions: [FamilyVersion]
    public init(versions: [FamilyVersion]) { self.versions = versions }
}

/// 0x01/0x13: message of the day; only acknowledged by being read.
public struct MessageOfTheDay: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0013

    public var kind: UInt16
    public var tlvs: [TLV]

    public init(kind: UInt16, tlvs: [TLV] = []) {
        self.kind = kind
        self.tlvs = tlvs
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        kind = try reader.readU16("MOTD type")
        tlvs = try reader.readTLVList(format: .toEnd)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU16(kind)
        try tlvs.encode(into: &buffer, format: .toEnd)
    }
}

/// 0x01/0x0E: asks for the client's own user info.
public struct OwnInfoRequest: EmptySNACMessage {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x000E
    public init() {}
}

/// 0x01/0x0F: the client's own user info, including the server's spelling of its name.
public struct OwnInfoReply: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x000F

    public var userInfo: UserInfo

    public init(userInfo: UserInfo) {
        self.userInfo = userInfo
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        userInfo = try UserInfo(reading: &reader)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        try userInfo.encode(into: &buffer)
    }
}

/// One family's entry in client ready: which tool (client library) speaks it and how.
public struct FamilyToolVersion: Sendable, Hashable {
    public var family: UInt16
    public var version: UInt16
    public var toolID: UInt16
    public var toolVersion: UInt16

    public init(family: UInt16, version: UInt16, toolID: UInt16 = 0x0110, toolVersion: UInt16 = 0x08E5) {
        self.family = family
        self.version = version
        self.toolID = toolID
        self.toolVersion = toolVersion
    }
}

/// 0x01/0x02: the client finished setting up; only after this does the server deliver IMs
/// and announce the client to others.
public struct ClientReady: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0002

    /// Client ready for the families in `ClientVersions.instantMessaging`.
    public static let instantMessaging = ClientReady(families: ClientVersions.instantMessaging.versions.map {
        FamilyToolVersion(family: $0.family, version: $0.version)
    })

    public var families: [FamilyToolVersion]

    public init(families: [FamilyToolVersion]) {
        self.families = families
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        guard snacData.count % 8 == 0 else {
            throw .invalidValue(field: "client ready list", reason: "length \(snacData.count) is not a multiple of 8")
        }
        var reader = ByteReader(snacData)
        var families: [FamilyToolVersion] = []
        while !reader.isAtEnd {
            families.append(FamilyToolVersion(
                family: try reader.readU16("client ready family"),
                version: try reader.readU16("client ready version"),
                toolID: try reader.readU16("client ready tool id"),
                toolVersion: try reader.readU16("client ready tool version")
            ))
        }
        self.families = families
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        for entry in families {
            buffer.appendU16(entry.family)
            buffer.appendU16(entry.version)
            buffer.appendU16(entry.toolID)
            buffer.appendU16(entry.toolVersion)
        }
    }
}

/// 0x02/0x02: asks for the locate service limits (profile sizes).
public struct LocateRightsRequest: EmptySNACMessage {
    public static let family: UInt16 = 0x0002
    public static let subtype: UInt16 = 0x0002
    public init() {}
}

/// 0x03/0x02: asks for the buddy list limits.
public struct BuddyRightsRequest: EmptySNACMessage {
    public static let family: UInt16 = 0x0003
    public static let subtype: UInt16 = 0x0002
    public init() {}
}

/// 0x04/0x04: asks for the server's ICBM parameters.
public struct ICBMParametersRequest: EmptySNACMessage {
    public static let family: UInt16 = 0x0004
    public static let subtype: UInt16 = 0x0004
    public init() {}
}

/// 0x09/0x02: asks for the permit/deny list limits.
public struct PermitDenyRightsRequest: EmptySNACMessage {
    public static let family: UInt16 = 0x0009
    public static let subtype: UInt16 = 0x0002
    public init() {}
}

/// 0x02/0x04: sets the profile and away message shown to other users.
public struct LocateSetInfo: SNACMessage, Hashable {
    public static let family: UInt16 = 0x0002
    public static let subtype: UInt16 = 0x0004

    public enum TLVType {
        public static let profileMIMEType: UInt16 = 0x0001
        public static let profile: UInt16 = 0x0002
        public static let awayMIMEType: UInt16 = 0x0003
        public static let awayMessage: UInt16 = 0x0004
    }

    /// The MIME type sent with profile and away texts.
    public static let mimeType = "text/aolrtf; charset=\"us-ascii\""

    public var tlvs: [TLV]

    public init(tlvs: [TLV]) {
        self.tlvs = tlvs
    }

    /// Sets the profile and, if given, the away message (an empty away text clears it).
    public init(profile: String?, awayMessage: String? = nil) {
        var tlvs: [TLV] = []
        if let profile {
            tlvs.append(.string(TLVType.profileMIMEType, Self.mimeType))
            tlvs.append(.string(TLVType.profile, profile))
        }
        if let awayMessage {
            tlvs.append(.string(TLVType.awayMIMEType, Self.mimeType))
            tlvs.append(.string(TLVType.awayMessage, awayMessage))
        }
        self.tlvs = tlvs
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        tlvs = try [TLV].decode(snacData, format: .toEnd)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        try tlvs.encode(into: &buffer, format: .toEnd)
    }
}
