/// One rate class from 0x01/0x07: a moving-average budget shared by a group of SNACs.
///
/// Levels are average milliseconds between SNACs over the last `windowSize` SNACs. The
/// server warns below `alertLevel`, drops SNACs below `limitLevel` until the average recovers
/// past `clearLevel`, and disconnects below `disconnectLevel`.
public struct RateClass: Sendable, Hashable {
    public var id: UInt16
    public var windowSize: UInt32
    public var clearLevel: UInt32
    public var alertLevel: UInt32
    public var limitLevel: UInt32
    public var disconnectLevel: UInt32
    public var currentLevel: UInt32
    public var maxLevel: UInt32
    /// Milliseconds since the server last counted a SNAC in this class.
    public var lastTime: UInt32
    /// 0 clear, 1 alert, 2 limited (server's view when the reply was sent).
    public var currentState: UInt8

    public init(
        id: UInt16, windowSize: UInt32, clearLevel: UInt32, alertLevel: UInt32, limitLevel: UInt32,
        disconnectLevel: UInt32, currentLevel: UInt32, maxLevel: UInt32, lastTime: UInt32 = 0, currentState: UInt8 = 0
    ) {
        self.id = id
        self.windowSize = windowSize
        self.clearLevel = clearLevel
        self.alertLevel = alertLevel
        self.limitLevel = limitLevel
        self.disconnectLevel = disconnectLevel
        self.currentLevel = currentLevel
        self.maxLevel = maxLevel
        self.lastTime = lastTime
        self.currentState = currentState
    }

    /// Bytes per class entry on the wire.
    static let encodedLength = 35
}

/// The SNACs a rate class governs.
public struct RateGroup: Sendable, Hashable {
    public var classID: UInt16
    public var members: [SNACKind]

    public init(classID: UInt16, members: [SNACKind]) {
        self.classID = classID
        self.members = members
    }
}

/// A family/subtype pair naming a kind of SNAC.
public struct SNACKind: Sendable, Hashable {
    public var family: UInt16
    public var subtype: UInt16

    public init(family: UInt16, subtype: UInt16) {
        self.family = family
        self.subtype = subtype
    }
}

/// 0x01/0x06: asks for the rate classes.
public struct RateParametersRequest: EmptySNACMessage {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0006
    public init() {}
}

/// 0x01/0x07: the rate classes and which SNACs belong to each.
public struct RateParametersReply: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0007

    public var classes: [RateClass]
    public var groups: [RateGroup]

    public init(classes: [RateClass], groups: [RateGroup]) {
        self.classes = classes
        self.groups = groups
    }

    /// The class governing `kind`, so a sender can pace e.g. ICBM 0x04/0x06.
    public func rateClass(for kind: SNACKind) -> RateClass? {
        guard let group = groups.first(where: { $0.members.contains(kind) }) else { return nil }
        return classes.first { $0.id == group.classID }
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        let count = try reader.readU16("rate class count")
        var classes: [RateClass] = []
        for _ in 0..<count {
            classes.append(RateClass(
                id: try reader.readU16("rate class id"),
                windowSize: try reader.readU32("rate class window"),
                clearLevel: try reader.readU32("rate class clear level"),
                alertLevel: try reader.readU32("rate class alert level"),
                limitLevel: try reader.readU32("rate class limit level"),
                disconnectLevel: try reader.readU32("rate class disconnect level"),
                currentLevel: try reader.readU32("rate class current level"),
                maxLevel: try reader.readU32("rate class max level"),
                lastTime: try reader.readU32("rate class last time"),
                currentState: try reader.readU8("rate class state")
            ))
        }
        var groups: [RateGroup] = []
        while !reader.isAtEnd {
            let classID = try reader.readU16("rate group class id")
            let memberCount = try reader.readU16("rate group member count")
            var members: [SNACKind] = []
            for _ in 0..<memberCount {
                let family = try reader.readU16("rate group member family")
                let subtype = try reader.readU16("rate group member subtype")
                members.append(SNACKind(family: family, subtype: subtype))
            }
            groups.append(RateGroup(classID: classID, members: members))
        }
        self.classes = classes
        self.groups = groups
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        guard classes.count <= Int(UInt16.max) else {
            throw .fieldTooLong(field: "rate class count", length: classes.count, maximum: Int(UInt16.max))
        }
        buffer.appendU16(UInt16(classes.count))
        for rateClass in classes {
            buffer.appendU16(rateClass.id)
            buffer.appendU32(rateClass.windowSize)
            buffer.appendU32(rateClass.clearLevel)
            buffer.appendU32(rateClass.alertLevel)
            buffer.appendU32(rateClass.limitLevel)
            buffer.appendU32(rateClass.disconnectLevel)
            buffer.appendU32(rateClass.currentLevel)
            buffer.appendU32(rateClass.maxLevel)
            buffer.appendU32(rateClass.lastTime)
            buffer.appendU8(rateClass.currentState)
        }
        for group in groups {
            guard group.members.count <= Int(UInt16.max) else {
                throw .fieldTooLong(field: "rate group member count", length: group.members.count, maximum: Int(UInt16.max))
            }
            buffer.appendU16(group.classID)
            buffer.appendU16(UInt16(group.members.count))
            for member in group.members {
                buffer.appendU16(member.family)
                buffer.appendU16(member.subtype)
            }
        }
    }
}

/// 0x01/0x08: acknowledges the rate classes; the server holds other SNACs back until then.
public struct RateParametersAck: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x0008

    public var classIDs: [UInt16]

    public init(classIDs: [UInt16]) {
        self.classIDs = classIDs
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        guard snacData.count % 2 == 0 else {
            throw .invalidValue(field: "rate ack class list", reason: "odd length \(snacData.count)")
        }
        var reader = ByteReader(snacData)
        var ids: [UInt16] = []
        while !reader.isAtEnd {
            ids.append(try reader.readU16("rate ack class id"))
        }
        classIDs = ids
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        for id in classIDs { buffer.appendU16(id) }
    }
}

/// 0x01/0x0A: the server tells the client its standing in a rate class changed.
///
/// Servers send it when a class's state moves (checked about once a second of client silence): `alert` when the
/// level fell below the alert level (a warning; nothing is dropped), `limited` below the limit level (SNACs of the
/// class are dropped until the level recovers past clear), `clear` once it did; `parametersChanged` when the
/// class's levels themselves changed. The class entry carries the server's own view of the level.
public struct RateChangeNotice: SNACMessage, Hashable {
    public static let family = OService.family
    public static let subtype: UInt16 = 0x000A

    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let parametersChanged = Code(rawValue: 1)
        public static let alert = Code(rawValue: 2)
        public static let limited = Code(rawValue: 3)
        public static let clear = Code(rawValue: 4)

        public var description: String {
            switch self {
            case .parametersChanged: "parameters changed"
            case .alert: "alert"
            case .limited: "limited"
            case .clear: "clear"
            default: "rate change \(hex(rawValue))"
            }
        }
    }

    public var code: Code
    public var rateClass: RateClass

    public init(code: Code, rateClass: RateClass) {
        self.code = code
        self.rateClass = rateClass
    }

    /// Reads the class entry with or without its version-2 tail (last time, state), as servers send either.
    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        code = Code(rawValue: try reader.readU16("rate change code"))
        var entry = RateClass(
            id: try reader.readU16("rate class id"),
            windowSize: try reader.readU32("rate class window"),
            clearLevel: try reader.readU32("rate class clear level"),
            alertLevel: try reader.readU32("rate class alert level"),
            limitLevel: try reader.readU32("rate class limit level"),
            disconnectLevel: try reader.readU32("rate class disconnect level"),
            currentLevel: try reader.readU32("rate class current level"),
            maxLevel: try reader.readU32("rate class max level")
        )
        if !reader.isAtEnd {
            entry.lastTime = try reader.readU32("rate class last time")
            entry.currentState = try reader.readU8("rate class state")
        }
        rateClass = entry
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU16(code.rawValue)
        buffer.appendU16(rateClass.id)
        buffer.appendU32(rateClass.windowSize)
        buffer.appendU32(rateClass.clearLevel)
        buffer.appendU32(rateClass.alertLevel)
        buffer.appendU32(rateClass.limitLevel)
        buffer.appendU32(rateClass.disconnectLevel)
        buffer.appendU32(rateClass.currentLevel)
        buffer.appendU32(rateClass.maxLevel)
        buffer.appendU32(rateClass.lastTime)
        buffer.appendU8(rateClass.currentState)
    }
}
