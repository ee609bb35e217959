/// The outcome of spooling an inbound frame.
public enum SpoolResult: Sendable, Equatable {
    /// Stored; it will be forwarded to the router in `seq` order.
    case spooled(seq: Int64)
    /// The id is already pending or was already forwarded (e.g. Twilio retried a webhook): acknowledge
    /// it to the network again, but do not forward it twice.
    case duplicate
}

/// A reliable frame waiting to be forwarded to the router. The payload is the encoded frame; the
/// spool does not interpret it.
public struct SpooledFrame: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var payload: [UInt8]
    public var createdAt: Int64

    public init(seq: Int64, id: String, payload: [UInt8], createdAt: Int64) {
        self.seq = seq
        self.id = id
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// Where an outbound message is in its delivery to the outside network.
public enum SpoolOutboundState: String, Sendable, CaseIterable {
    /// Waiting for its (next) attempt.
    case queued
    /// The outside network accepted it.
    case sent
    /// Given up on.
    case failed
}

/// A message from the router that the bridge must deliver to the outside network.
public struct SpoolOutboundRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var gatewayID: Int64
    public var recipient: String
    public var body: String
    public var state: SpoolOutboundState
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastError: String?
    public var createdAt: Int64

    public init(
        seq: Int64, id: String, gatewayID: Int64, recipient: String, body: String, state: SpoolOutboundState,
        attempts: Int, nextAttemptAt: Int64, lastError: String?, createdAt: Int64
    ) {
        self.seq = seq
        self.id = id
        self.gatewayID = gatewayID
        self.recipient = recipient
        self.body = body
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
    }
}
