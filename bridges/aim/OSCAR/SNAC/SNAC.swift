/// A SNAC: the typed command carried by FLAP channel 2.
///
/// `family` selects the service (0x01 OService, 0x04 ICBM, 0x17 BUCP …) and `subtype` the
/// command. `data` is the body after the header, with any 0x8000 extension block already
/// removed so message decoders never see it.
public struct SNAC: Sendable, Hashable {
    /// The flag announcing a u16-length block before the body, which clients skip.
    public static let extensionBlockFlag: UInt16 = 0x8000
    /// Request id the server uses for SNACs it sends on its own initiative.
    public static let serverInitiatedRequestID: UInt32 = 0x8000_0000
    /// The subtype every family uses for an error reply.
    public static let errorSubtype: UInt16 = 0x0001
    /// Bytes in the fixed SNAC header.
    public static let headerLength = 10

    public var family: UInt16
    public var subtype: UInt16
    public var flags: UInt16
    public var requestID: UInt32
    public var data: [UInt8]

    public init(family: UInt16, subtype: UInt16, flags: UInt16 = 0, requestID: UInt32, data: [UInt8]) {
        self.family = family
        self.subtype = subtype
        self.flags = flags
        self.requestID = requestID
        self.data = data
    }

    /// Decodes a channel-2 FLAP payload.
    public init(decoding payload: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(payload)
        family = try reader.readU16("SNAC family")
        subtype = try reader.readU16("SNAC subtype")
        flags = try reader.readU16("SNAC flags")
        requestID = try reader.readU32("SNAC request id")
        if flags & Self.extensionBlockFlag != 0 {
            _ = try reader.readU16Prefixed("SNAC extension block")
        }
        data = reader.readRest()
    }

    /// Decodes the SNAC inside a frame, insisting the frame is on channel 2.
    public init(frame: FLAPFrame) throws(OSCARDecodingError) {
        guard frame.channel == .snac else { throw .unexpectedChannel(expected: .snac, actual: frame.channel) }
        try self.init(decoding: frame.payload)
    }

    /// Wraps a typed message.
    public init<Message: SNACMessage>(_ message: Message, requestID: UInt32, flags: UInt16 = 0) throws(OSCAREncodingError) {
        var data: [UInt8] = []
        try message.encode(into: &data)
        self.init(family: Message.family, subtype: Message.subtype, flags: flags, requestID: requestID, data: data)
    }

    /// The SNAC as a channel-2 payload. The extension block is not reproduced (it is never
    /// sent by clients), so the 0x8000 flag is cleared.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerLength + data.count)
        bytes.appendU16(family)
        bytes.appendU16(subtype)
        bytes.appendU16(flags & ~Self.extensionBlockFlag)
        bytes.appendU32(requestID)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// Whether this SNAC is `Message`, so callers can dispatch without trying every decoder.
    public func `is`<Message: SNACMessage>(_ type: Message.Type) -> Bool {
        family == Message.family && subtype == Message.subtype
    }

    /// Decodes the body as `Message`, checking the family and subtype first.
    public func decode<Message: SNACMessage>(as type: Message.Type) throws(OSCARDecodingError) -> Message {
        guard self.is(type) else {
            throw .unexpectedSNAC(expectedFamily: Message.family, expectedSubtype: Message.subtype, family: family, subtype: subtype)
        }
        return try Message(snacData: data)
    }

    /// The error this SNAC reports, if it is an error reply (subtype 0x01 in any family).
    public func errorReply() throws(OSCARDecodingError) -> SNACError? {
        guard subtype == Self.errorSubtype else { return nil }
        return try SNACError(family: family, snacData: data)
    }
}

/// A typed SNAC body with a fixed family and subtype.
public protocol SNACMessage: Sendable {
    static var family: UInt16 { get }
    static var subtype: UInt16 { get }
    /// Decodes the body (the bytes after the SNAC header).
    init(snacData: [UInt8]) throws(OSCARDecodingError)
    /// Appends the body.
    func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError)
}

extension SNACMessage {
    /// The message as a channel-2 FLAP frame, ready for the wire.
    public func frame(sequence: UInt16, requestID: UInt32) throws(OSCAREncodingError) -> FLAPFrame {
        FLAPFrame(channel: .snac, sequence: sequence, payload: try SNAC(self, requestID: requestID).encoded())
    }
}

/// A body-less SNAC message; requests such as "rate parameters?" carry no data.
public protocol EmptySNACMessage: SNACMessage, Hashable {
    init()
}

extension EmptySNACMessage {
    /// Accepts and ignores any body: some servers pad requests with TLVs the client does
    /// not need.
    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        self.init()
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {}
}
