/// A message the router asks a bridge to send to a patron (`sendMessage`, a reliable frame).
public struct OutboundMessage: Sendable, Hashable {
    /// The stable id the router generated; the bridge acks it and reports delivery against it.
    public var id: String
    /// The gateway to send through.
    public var gatewayID: UInt64
    /// The patron's address on the outside network (phone number, screen name).
    public var to: String
    /// The text to send.
    public var body: String

    public init(id: String, gatewayID: UInt64, to: String, body: String) {
        self.id = id
        self.gatewayID = gatewayID
        self.to = to
        self.body = body
    }
}

/// A message a patron sent, handed by a bridge to the router (`messageReceived`, a reliable frame).
public struct InboundMessage: Sendable, Hashable {
    /// A stable id derived from the outside network where it has one (Twilio's MessageSid), otherwise
    /// generated once and kept with the message, so a resend after reconnect is recognised as a repeat.
    public var id: String
    /// The gateway it arrived on.
    public var gatewayID: UInt64
    /// The patron's address on the outside network.
    public var from: String
    /// The text.
    public var body: String
    /// When the patron sent it, in milliseconds since the Unix epoch; 0 when the network does not say.
    public var sentAt: Int64
    /// Whether the outside network stored it while the gateway was offline (AIM offline messages).
    public var storedOffline: Bool
    /// Attached media, by reference.
    public var media: [Media]

    public init(
        id: String, gatewayID: UInt64, from: String, body: String,
        sentAt: Int64 = 0, storedOffline: Bool = false, media: [Media] = []
    ) {
        self.id = id
        self.gatewayID = gatewayID
        self.from = from
        self.body = body
        self.sentAt = sentAt
        self.storedOffline = storedOffline
        self.media = media
    }
}

/// What became of an outbound message (`deliveryStatus`, a reliable frame).
public struct DeliveryReport: Sendable, Hashable {
    /// The report's own stable id (so a repeated report is dropped, not applied twice).
    public var id: String
    /// The `OutboundMessage.id` the report is about.
    public var messageID: String
    /// How far the message got.
    public var status: DeliveryStatus
    /// Why it failed, or extra detail from the network; empty when there is nothing to say.
    public var reason: String

    public init(id: String, messageID: String, status: DeliveryStatus, reason: String = "") {
        self.id = id
        self.messageID = messageID
        self.status = status
        self.reason = reason
    }
}
