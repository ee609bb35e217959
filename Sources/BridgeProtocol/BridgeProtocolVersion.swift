/// The bridge protocol version this build speaks.
///
/// A bridge announces the highest version it speaks in `hello`; the router answers with the version it
/// will use in `welcome`, or says goodbye with `unsupportedVersion`. New fields never get appended to an
/// existing message silently: they need a new message type or a new version, so that an older peer
/// rejects what it cannot read instead of misreading it.
public enum BridgeProtocolVersion {
    /// The highest version this build speaks. Version 2 added `gatewayNotice` and `chatState`.
    public static let current: UInt16 = 2
    /// The oldest version this build still speaks: a peer built before version 2 keeps working, without the
    /// frames it does not know.
    public static let oldest: UInt16 = 1

    /// The version a connection uses when one side speaks up to `offered` and the other up to `current`; nil
    /// when `offered` is older than every version spoken here.
    public static func agreed(offered: UInt16) -> UInt16? {
        offered >= oldest ? min(offered, current) : nil
    }
}

/// Size limits that keep a misbehaving or hostile peer from making a daemon buffer without bound.
public enum BridgeFrameLimits {
    /// The largest accepted value of a frame's length field (type byte plus body), 1 MiB.
    ///
    /// Chat messages are tiny; the limit exists so that a corrupt length field is rejected as soon as the
    /// four header bytes arrive instead of after a gigabyte of buffering.
    public static let maximumFrameLength = 1_048_576

    /// The number of bytes in front of every frame's type byte: the big-endian `u32` length.
    public static let lengthFieldSize = 4
}
