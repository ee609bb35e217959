import BridgeProtocol
import CoreMetrics
import DaemonSupport
import Logging
import RefdeskMetrics
import RefdeskStore

/// A bridge's durable half of the bridge protocol, kept in its own small SQLite file.
///
/// - Frames for the router (`messageReceived`, `deliveryStatus`) are spooled before anything else happens to
///   them, so a bridge can say "got it" to the outside network (Twilio's 200) while the router is down. They leave
///   the spool only when the router acks them; their ids stay remembered so a replayed id is recognised.
/// - Messages from the router (`sendMessage`) are accepted into the spool's outbound table exactly once (a resend
///   after a lost ack is recognised by its id), then delivered to the outside network by the bridge.
///
/// Both moments are where a frame is known to be new, so the message counters are kept here: a patron message
/// counts as forwarded when the router acknowledges it, a reply as accepted when it enters the outbound table.
public final class BridgeSpool: Sendable {
    public let database: DatabaseExecutor
    /// The bridge's protocol (`twilio`, `aim`), the `protocol` label of its message counters.
    public let protocolName: String
    private let now: @Sendable () -> Int64

    public init(path: String, protocolName: String, logger: Logger, now: @escaping @Sendable () -> Int64 = WallClock.milliseconds) throws {
        self.database = try DatabaseExecutor(path: path, migrations: SpoolSchema.migrations, logger: logger)
        self.protocolName = protocolName
        self.now = now
    }

    /// Spools a reliable frame for the router. Returns false when its id was spooled or forwarded before.
    public func enqueue(_ message: BridgeMessage) async throws -> Bool {
        guard let id = message.reliableID else {
            throw BridgeProtocolError(reason: "only reliable frames are spooled, not \(message.kindName)")
        }
        let payload = BridgeFrameEncoder.encode(message)
        let time = now()
        let result = try await database.write { try $0.spoolInbound(id: id, payload: payload, at: time) }
        if case .spooled = result { return true }
        return false
    }

    /// Spooled frames after `afterSequence`, oldest first, decoded for sending.
    public func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        let frames = try await database.read { try $0.pendingInbound(afterSeq: afterSequence, limit: limit) }
        return try frames.map { frame in
            var decoder = BridgeFrameDecoder()
            decoder.append(frame.payload)
            guard let message = try decoder.next() else {
                throw BridgeProtocolError(reason: "spooled frame \(frame.id) is incomplete")
            }
            return SequencedMessage(sequence: frame.seq, message: message)
        }
    }

    /// The router has these frames durably; the ones still pending until now count as forwarded.
    public func acknowledged(ids: [String]) async throws {
        let time = now()
        // Lost to a power cut, the frames go to the router again, which knows their ids.
        let forwarded = try await database.write(durability: .deferredSync) { try $0.acknowledgeInbound(ids: ids, at: time) }
        // The spool wrote these frames itself (and they were decoded to be sent); one that no longer decodes only
        // goes uncounted.
        let messages = forwarded.compactMap { payload -> BridgeMessage? in
            var decoder = BridgeFrameDecoder()
            decoder.append(payload)
            return try? decoder.next()
        }
        MessageCounting.count(messages, protocolName: protocolName)
    }

    /// Accepts `sendMessage` frames from the router in one commit; returns the ones not seen before, in order.
    public func acceptOutbound(_ messages: [BridgeMessage]) async throws -> [OutboundMessage] {
        let outbound = messages.compactMap { message -> OutboundMessage? in
            if case .sendMessage(let outbound) = message { return outbound }
            return nil
        }
        let time = now()
        let accepted = try await database.write { connection in
            try outbound.filter { message in
                try connection.acceptOutbound(
                    id: message.id,
                    gatewayID: Int64(bitPattern: message.gatewayID),
                    recipient: message.to,
                    body: message.body,
                    at: time
                )
            }
        }
        MessageCounting.count(accepted.map { .sendMessage($0) }, protocolName: protocolName)
        return accepted
    }

    /// Replies not yet sent to the outside network, and frames the router has not acknowledged yet.
    public func depths() async throws -> (queuedOutbound: Int, pendingInbound: Int) {
        try await database.read { connection in
            (try connection.queuedOutboundCount(), try connection.pendingInboundCount())
        }
    }
}
