/// ICBM (family 0x04): instant messages.
public enum ICBM {
    public static let family: UInt16 = 0x0004
    /// Channel 1: plain text IMs, the only channel the bridge speaks.
    public static let plainTextChannel: UInt16 = 0x0001

    public enum TLVType {
        public static let messageData: UInt16 = 0x0002
        public static let requestServerAck: UInt16 = 0x0003
        public static let storeIfOffline: UInt16 = 0x0006
        public static let offlineSendTime: UInt16 = 0x0016
    }
}

/// 0x04/0x02: sets how the server delivers IMs on a channel (sizes, warnings, pacing).
public struct ICBMParameters: SNACMessage, Hashable {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0002

    /// Channel 1, typing notifications and offline-message flags, 8000-byte messages,
    /// warnings up to 99.9%, no minimum interval.
    public static let standard = ICBMParameters(
        channel: 0, flags: 0x0000_000B, maximumSNACSize: 8000,
        maximumSenderWarningLevel: 999, maximumReceiverWarningLevel: 999, minimumMessageInterval: 0
    )

    public var channel: UInt16
    public var flags: UInt32
    public var maximumSNACSize: UInt16
    public var maximumSenderWarningLevel: UInt16
    public var maximumReceiverWarningLevel: UInt16
    public var minimumMessageInterval: UInt32

    public init(
        channel: UInt16, flags: UInt32, maximumSNACSize: UInt16, maximumSenderWarningLevel: UInt16,
        maximumReceiverWarningLevel: UInt16, minimumMessageInterval: UInt32
    ) {
        self.channel = channel
        self.flags = flags
        self.maximumSNACSize = maximumSNACSize
        self.maximumSenderWarningLevel = maximumSenderWarningLevel
        self.maximumReceiverWarningLevel = maximumReceiverWarningLevel
        self.minimumMessageInterval = minimumMessageInterval
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        channel = try reader.readU16("ICBM parameters channel")
        flags = try reader.readU32("ICBM parameters flags")
        maximumSNACSize = try reader.readU16("ICBM parameters maximum SNAC size")
        maximumSenderWarningLevel = try reader.readU16("ICBM parameters maximum sender warning")
        maximumReceiverWarningLevel = try reader.readU16("ICBM parameters maximum receiver warning")
        minimumMessageInterval = try reader.readU32("ICBM parameters minimum message interval")
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU16(channel)
        buffer.appendU32(flags)
        buffer.appendU16(maximumSNACSize)
        buffer.appendU16(maximumSenderWarningLevel)
        buffer.appendU16(maximumReceiverWarningLevel)
        buffer.appendU32(minimumMessageInterval)
    }
}

/// 0x04/0x06: sends an IM.
public struct ICBMSendMessage: SNACMessage, Hashable {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0006

    /// Chosen by the sender; the server's ack (0x04/0x0C) and errors refer to it.
    public var cookie: UInt64
    public var channel: UInt16
    public var recipient: String
    public var body: ICBMMessageBody
    /// Adds TLV 0x03 so the server confirms acceptance with 0x04/0x0C.
    public var requestServerAck: Bool
    /// Adds TLV 0x06 so the server stores the IM if the recipient is offline.
    public var storeIfOffline: Bool

    public init(
        cookie: UInt64, recipient: String, body: ICBMMessageBody, channel: UInt16 = ICBM.plainTextChannel,
        requestServerAck: Bool = true, storeIfOffline: Bool = true
    ) {
        self.cookie = cookie
        self.channel = channel
        self.recipient = recipient
        self.body = body
        self.requestServerAck = requestServerAck
        self.storeIfOffline = storeIfOffline
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        cookie = try reader.readU64("ICBM cookie")
        channel = try reader.readU16("ICBM channel")
        recipient = String(decoding: try reader.readU8Prefixed("ICBM recipient"), as: UTF8.self)
        let tlvs = try reader.readTLVList(format: .toEnd)
        guard let data = tlvs.first(type: ICBM.TLVType.messageData) else {
            throw .missingTLV(type: ICBM.TLVType.messageData, in: "ICBM send")
        }
        body = try ICBMMessageBody(decoding: data.value)
        requestServerAck = tlvs.contains(type: ICBM.TLVType.requestServerAck)
        storeIfOffline = tlvs.contains(type: ICBM.TLVType.storeIfOffline)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU64(cookie)
        buffer.appendU16(channel)
        try buffer.appendU8Prefixed(Array(recipient.utf8), field: "ICBM recipient")
        var tlvs = [TLV(type: ICBM.TLVType.messageData, value: try body.encoded())]
        if requestServerAck { tlvs.append(.flag(ICBM.TLVType.requestServerAck)) }
        if storeIfOffline { tlvs.append(.flag(ICBM.TLVType.storeIfOffline)) }
        try tlvs.encode(into: &buffer, format: .toEnd)
    }
}

/// 0x04/0x07: an IM delivered to the client, live or from offline storage.
public struct ICBMIncomingMessage: SNACMessage, Hashable {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0007

    public var cookie: UInt64
    public var channel: UInt16
    public var sender: UserInfo
    /// The message TLVs after the user-info block (0x02 data, 0x16 offline time, …).
    public var tlvs: [TLV]

    public init(cookie: UInt64, channel: UInt16 = ICBM.plainTextChannel, sender: UserInfo, tlvs: [TLV]) {
        self.cookie = cookie
        self.channel = channel
        self.sender = sender
        self.tlvs = tlvs
    }

    /// A channel-1 message carrying `body`, and the send time if it was stored offline.
    public init(cookie: UInt64, sender: UserInfo, body: ICBMMessageBody, offlineSentAt: UInt32? = nil) throws(OSCAREncodingError) {
        var tlvs = [TLV(type: ICBM.TLVType.messageData, value: try body.encoded())]
        if let offlineSentAt { tlvs.append(.u32(ICBM.TLVType.offlineSendTime, offlineSentAt)) }
        self.init(cookie: cookie, sender: sender, tlvs: tlvs)
    }

    /// The message fragments (TLV 0x02); `nil` on other channels or when absent.
    public func body() throws(OSCARDecodingError) -> ICBMMessageBody? {
        guard channel == ICBM.plainTextChannel, let data = tlvs.first(type: ICBM.TLVType.messageData) else { return nil }
        return try ICBMMessageBody(decoding: data.value)
    }

    /// Seconds since 1970 when a stored offline message was sent (TLV 0x16).
    public var offlineSentAt: UInt32? {
        try? tlvs.first(type: ICBM.TLVType.offlineSendTime)?.u32Value()
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        cookie = try reader.readU64("ICBM cookie")
        channel = try reader.readU16("ICBM channel")
        sender = try UserInfo(reading: &reader)
        tlvs = try reader.readTLVList(format: .toEnd)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU64(cookie)
        buffer.appendU16(channel)
        try sender.encode(into: &buffer)
        try tlvs.encode(into: &buffer, format: .toEnd)
    }
}

/// 0x04/0x0C: the server accepted an IM sent with TLV 0x03.
public struct ICBMServerAck: SNACMessage, Hashable {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x000C

    public var cookie: UInt64
    public var channel: UInt16
    public var screenName: String

    public init(cookie: UInt64, channel: UInt16 = ICBM.plainTextChannel, screenName: String) {
        self.cookie = cookie
        self.channel = channel
        self.screenName = screenName
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        cookie = try reader.readU64("ICBM ack cookie")
        channel = try reader.readU16("ICBM ack channel")
        screenName = String(decoding: try reader.readU8Prefixed("ICBM ack screen name"), as: UTF8.self)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        buffer.appendU64(cookie)
        buffer.appendU16(channel)
        try buffer.appendU8Prefixed(Array(screenName.utf8), field: "ICBM ack screen name")
    }
}

/// 0x04/0x10: asks the server to deliver IMs stored while the client was offline.
public struct OfflineMessagesRequest: EmptySNACMessage {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0010
    public init() {}
}

/// 0x04/0x17: all stored offline IMs have been delivered.
public struct OfflineMessagesDone: EmptySNACMessage {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0017
    public init() {}
}

/// 0x04/0x05: the server's ICBM parameters, the answer to 0x04/0x04. Laid out as ``ICBMParameters``; its
/// `maximumSNACSize` is the longest message text the server takes (512 bytes on AIM servers).
public struct ICBMParametersReply: SNACMessage, Hashable {
    public static let family = ICBM.family
    public static let subtype: UInt16 = 0x0005

    public var parameters: ICBMParameters

    public init(parameters: ICBMParameters) {
        self.parameters = parameters
    }

    /// The longest message text, in bytes, one IM may carry.
    public var maximumMessageLength: Int { Int(parameters.maximumSNACSize) }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        parameters = try ICBMParameters(snacData: snacData)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        try parameters.encode(into: &buffer)
    }
}
