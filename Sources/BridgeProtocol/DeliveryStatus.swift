/// How far an outbound message got, reported by the bridge in `deliveryStatus` frames.
///
/// The raw values are the wire encoding; any other byte is a decoding error.
public enum DeliveryStatus: UInt8, Sendable, CaseIterable {
    /// Handed to the outside network.
    case sent = 0
    /// The outside network confirmed delivery to the patron.
    case delivered = 1
    /// The outside network refused or lost it; the reason says why.
    case failed = 2
}
