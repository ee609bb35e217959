import BridgeProtocol
import BridgeTransport
import DaemonSupport
import RefdeskStore

/// Writes that must change the spool together or not at all.
///
/// A frame for the router is spooled exactly as `BridgeSpool.enqueue` spools it (the encoded frame under its id,
/// refused when the id was seen), but in the same transaction as the state change it reports: a crash can then
/// never leave a message marked sent without its `sent` report, or a STOP recorded for a text the router never gets.
extension BridgeSpool {
    /// Spools a patron's text and, if it is new, records the opt-out change it carries. Returns false for a replay.
    func enqueueInbound(_ message: InboundMessage, optOut: Bool?, at time: Int64) async throws -> Bool {
        let payload = BridgeFrameEncoder.encode(.messageReceived(message))
        return try await database.write { connection in
            guard case .spooled = try connection.spoolInbound(id: message.id, payload: payload, at: time) else { return false }
            if let optOut {
                try connection.setOptedOut(gatewayID: Int64(bitPattern: message.gatewayID), patron: message.from, optOut, at: time)
            }
            return true
        }
    }

    /// Finishes an outbound message (`sent` or `failed`) and spools the report for the router; `lastPart` is the
    /// part the network has just accepted, recorded in the same commit (one commit per reply instead of two).
    func finishOutbound(
        id: String, state: SpoolOutboundState, status: DeliveryStatus, reason: String, lastPart: (networkID: String, part: Int)? = nil,
        at time: Int64
    ) async throws {
        let report = DeliveryReport(id: Self.reportID(messageID: id, status: status), messageID: id, status: status, reason: reason)
        let payload = BridgeFrameEncoder.encode(.deliveryStatus(report))
        try await database.write { connection in
            if let lastPart {
                try connection.recordSentPart(networkID: lastPart.networkID, outboundID: id, part: lastPart.part, at: time)
            }
            try connection.markOutbound(id: id, state: state, error: status == .failed ? reason : nil)
            _ = try connection.spoolInbound(id: report.id, payload: payload, at: time)
        }
    }

    /// Spools a report for a message whose state in the spool does not change (a later `delivered` or `failed`).
    func enqueueReport(messageID: String, status: DeliveryStatus, reason: String) async throws -> Bool {
        let report = DeliveryReport(id: Self.reportID(messageID: messageID, status: status), messageID: messageID, status: status, reason: reason)
        return try await enqueue(.deliveryStatus(report))
    }

    /// One report per message and status, so a repeated status callback is recognised as a duplicate.
    static func reportID(messageID: String, status: DeliveryStatus) -> String {
        "\(messageID)/\(status)"
    }
}
