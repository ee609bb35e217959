/// What a typing notification says (0x04/0x14's event word).
public struct TypingEvent: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0x0000: the sender stopped typing and cleared what they typed (or sent it).
    public static let finished = TypingEvent(rawValue: 0x0000)
    /// 0x0001: text is typed but the sender paused.
    public static let paused = TypingEvent(rawValue: 0x0001)
    /// 0x0002: the sender is typing.
    public static let typing = TypingEvent(rawValue: 0x0002)

    public var description: String {
        switch self {
        case .finished: "finished"
        case .paused: "paused"
        case .typing: "typing"
        default: "typing event \(hex(rawValue))"
        }
    }
}

/// 0x04/0x14: a typing notification, sent by a client to the person it is writing to and relayed by the server
/// with the sender's name in place of the recipient's.
public struct ICBMTypingNotification: SNACMessage, Hashable {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0014

    /// Clients send zeros; the server passes it on.
    public var cookie: UInt64
    public var channel: UInt16
    /// The recipient when a client sends it, the sender when the server delivers it.
    public var screenName: String
    public var event: TypingEvent

    public init(cookie: UInt64 = 0, channel: UInt16 = ICBM.plainTextChannel, screenName: String, event: TypingEvent) {
        self.cookie = cookie
        self.channel = channel
        self.screenName = screenName
        self.event = event
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        cookie = try reader.readU64("typing notification cookie")
        channel = try reader.readU16("typing notification channel")
        screenName = String(decoding: try reader.readU8Prefixed("typing notification screen name"), as: UTF8.self)
        event = TypingEvent(rawValue: try reader.readU16("typing notification event"))
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU64(cookie)
        buffer.appendU16(channel)
        try buffer.appendU8Prefixed(Array(screenName.utf8), field: "typing notification screen name")
        buffer.appendU16(event.rawValue)
    }
}

/// The rule that tells a server's notice from a person's IM.
///
/// Servers send notices as ordinary IMs (0x04/0x07): "You just received 2 IM(s) while you were offline…",
/// "… is now signed into … in 2 locations". They come from a pseudo screen name of the form `<service> System
/// Msg` (`OOS System Msg` on open-oscar-server, `AOL System Msg` on AOL's service) and carry an all-zero message
/// cookie, which no client picks (clients choose cookies at random). Either mark is enough: a notice is never a
/// patron, and must not become a conversation.
public enum SystemNotice {
    /// The normalised ending of every system sender's name.
    static let senderSuffix = "systemmsg"

    /// Whether an IM with this cookie from this sender is a server's notice.
    public static func isNotice(cookie: UInt64, sender: ScreenName) -> Bool {
        cookie == 0 || sender.normalized.hasSuffix(senderSuffix)
    }
}
