/// A gateway's connection state as the bridge sees it, reported in `gatewayState` frames.
///
/// The raw values are the wire encoding; any other byte is a decoding error, because a state the router
/// does not understand cannot be acted on safely.
public enum GatewayState: UInt8, Sendable, CaseIterable {
    /// Signing on to the outside network.
    case connecting = 0
    /// Signed on; messages flow.
    case online = 1
    /// Signed off, as desired.
    case offline = 2
    /// Could not sign on or lost the session; the reason says why.
    case failed = 3
}
