/// The delivery state of an outgoing message, as Twilio reports it.
///
/// Twilio adds states from time to time, so an unknown value is kept as `.other` rather than
/// refused: a status callback must never fail just because Twilio grew a new word.
public enum MessageStatus: Sendable, Hashable, CustomStringConvertible {
    case accepted, scheduled, queued, sending, sent, delivered, undelivered, failed
    case receiving, received, read, partiallyDelivered, canceled
    case other(String)

    public init(_ text: String) {
        switch text {
        case "accepted": self = .accepted
        case "scheduled": self = .scheduled
        case "queued": self = .queued
        case "sending": self = .sending
        case "sent": self = .sent
        case "delivered": self = .delivered
        case "undelivered": self = .undelivered
        case "failed": self = .failed
        case "receiving": self = .receiving
        case "received": self = .received
        case "read": self = .read
        case "partially_delivered": self = .partiallyDelivered
        case "canceled": self = .canceled
        default: self = .other(text)
        }
    }

    /// Twilio's spelling.
    public var rawValue: String {
        switch self {
        case .accepted: "accepted"
        case .scheduled: "scheduled"
        case .queued: "queued"
        case .sending: "sending"
        case .sent: "sent"
        case .delivered: "delivered"
        case .undelivered: "undelivered"
        case .failed: "failed"
        case .receiving: "receiving"
        case .received: "received"
        case .read: "read"
        case .partiallyDelivered: "partially_delivered"
        case .canceled: "canceled"
        case let .other(text): text
        }
    }

    public var description: String { rawValue }

    /// The message will not be delivered; the librarian should be told why.
    public var isFailure: Bool {
        switch self {
        case .undelivered, .failed, .canceled: true
        default: false
        }
    }

    /// The handset has the message (or, for `read`, has shown it).
    public var isDelivered: Bool {
        switch self {
        case .delivered, .read: true
        default: false
        }
    }
}
