/// A message that patrons sent while nobody staffed the queue, kept until an operator is available.
public struct OfflineEntry: Sendable, Equatable {
    public var id: Int64
    public var queueName: String
    public var gatewayID: Int64
    public var patron: String
    public var body: String
    public var messageID: String?
    /// When the patron sent it, if the network says.
    public var sentAt: Int64?
    public var receivedAt: Int64
    /// Media sent with it, as JSON (the router's encoding); empty when none.
    public var media: String

    public init(
        id: Int64, queueName: String, gatewayID: Int64, patron: String, body: String, messageID: String?,
        sentAt: Int64?, receivedAt: Int64, media: String = ""
    ) {
        self.media = media
        self.id = id
        self.queueName = queueName
        self.gatewayID = gatewayID
        self.patron = patron
        self.body = body
        self.messageID = messageID
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}

/// A message for a patron, stored before it is handed to a bridge and deleted when the bridge acks it.
public struct OutboxRecord: Sendable, Equatable {
    /// The order of sending; a bridge resumes after the last seq it acknowledged.
    public var seq: Int64
    /// The frame id, unique, so a bridge can recognise a resent message.
    public var id: String
    public var network: String
    public var gatewayID: Int64
    public var recipient: String
    public var body: String
    public var conversationID: Int64?
    public var createdAt: Int64

    public init(
        seq: Int64, id: String, network: String, gatewayID: Int64, recipient: String, body: String,
        conversationID: Int64?, createdAt: Int64
    ) {
        self.seq = seq
        self.id = id
        self.network = network
        self.gatewayID = gatewayID
        self.recipient = recipient
        self.body = body
        self.conversationID = conversationID
        self.createdAt = createdAt
    }
}

/// A message a bridge acknowledged: whose it was, for counting it as passed on.
public struct AcknowledgedOutbound: Sendable, Equatable {
    public var protocolName: String
    public var gatewayID: Int64

    public init(protocolName: String, gatewayID: Int64) {
        self.protocolName = protocolName
        self.gatewayID = gatewayID
    }
}

/// What the outside network said about an outbound message.
public struct DeliveryReportRecord: Sendable, Equatable {
    public var messageID: String
    /// The bridge's status word ("delivered", "failed", …), kept as sent.
    public var status: String
    public var reason: String?
    public var at: Int64

    public init(messageID: String, status: String, reason: String?, at: Int64) {
        self.messageID = messageID
        self.status = status
        self.reason = reason
        self.at = at
    }
}

/// An XMPP presence subscription state (RFC 6121) between one of our JIDs and a contact.
public enum SubscriptionState: String, Sendable, CaseIterable {
    case none
    /// We receive the contact's presence.
    case to
    /// The contact receives ours.
    case from
    case both
}

/// One stored presence subscription.
public struct SubscriptionRecord: Sendable, Equatable {
    /// Our side: a queue or patron JID on the component's domain.
    public var localJID: String
    public var contactJID: String
    public var state: SubscriptionState

    public init(localJID: String, contactJID: String, state: SubscriptionState) {
        self.localJID = localJID
        self.contactJID = contactJID
        self.state = state
    }
}
