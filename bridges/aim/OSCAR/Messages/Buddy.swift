/// Buddy (family 0x03): presence of the screen names the client watches.
public enum Buddy {
    public static let family: UInt16 = 0x0003
}

/// 0x03/0x04: adds screen names to the session's buddy list, so their presence is reported.
public struct BuddyAdd: SNACMessage, Hashable {
    public static let family = Buddy.family
    public static let subtype: UInt16 = 0x0004

    public var screenNames: [String]

    public init(screenNames: [String]) {
        self.screenNames = screenNames
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        var names: [String] = []
        while !reader.isAtEnd {
            names.append(String(decoding: try reader.readU8Prefixed("buddy screen name"), as: UTF8.self))
        }
        screenNames = names
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        for name in screenNames {
            try buffer.appendU8Prefixed(Array(name.utf8), field: "buddy screen name")
        }
    }
}

/// Shared body of arrival and departure notices: user-info blocks to the end.
public protocol BuddyPresenceNotice: SNACMessage {
    var users: [UserInfo] { get }
    init(users: [UserInfo])
}

extension BuddyPresenceNotice {
    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        var users: [UserInfo] = []
        while !reader.isAtEnd {
            users.append(try UserInfo(reading: &reader))
        }
        self.init(users: users)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        for user in users {
            try user.encode(into: &buffer)
        }
    }
}

/// 0x03/0x0B: a buddy signed on or changed state (away, idle).
public struct BuddyArrived: BuddyPresenceNotice, Hashable {
    public static let family = Buddy.family
    public static let subtype: UInt16 = 0x000B
    public var users: [UserInfo]
    public init(users: [UserInfo]) { self.users = users }
}

/// 0x03/0x0C: a buddy signed off.
public struct BuddyDeparted: BuddyPresenceNotice, Hashable {
    public static let family = Buddy.family
    public static let subtype: UInt16 = 0x000C
    public var users: [UserInfo]
    public init(users: [UserInfo]) { self.users = users }
}
