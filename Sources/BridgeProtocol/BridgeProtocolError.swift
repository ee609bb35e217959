/// All decoding failures of the bridge protocol.
///
/// A bad frame is never skipped: the receiver sends `goodbye badFrame` with this reason and closes the
/// connection, so the reason is written to be read by a person in a log line on either side.
public struct BridgeProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One line saying precisely what was wrong, e.g. "frame length 2000000 exceeds the maximum 1048576".
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}
