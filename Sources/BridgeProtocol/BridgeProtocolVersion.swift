/// The bridge protocol version this build speaks.
///
/// A bridge announces the highest version it speaks in `hello`; the router answers with the version it
/// will use in `welcome`, or says goodbye with `unsupportedVersion`. New fields never get appended to an
/// existing message silently: they need a new message type or a new version, so that an older peer
/// rejects what it cannot read instead of misreading it.
public enum BridgeProtocolVersion {
    /// The only version defined so far.
    public static let current: UInt16 = 1
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
