import BridgeProtocol
import CoreMetrics
import RefdeskMetrics

/// The message counters the router and every bridge share (``MetricFamily/messagesIn``, ``MetricFamily/messagesOut``,
/// ``MetricFamily/deliveryFailures``), fed where a frame is known to be new, so a frame resent after a reconnect is
/// counted once without a window of remembered ids.
public enum MessageCounting {
    /// Counts a run of frames for `protocolName`: patron messages in, replies out, failed deliveries; other frames are
    /// not counted. Each counter is touched once per run: making a counter handle looks its series up by name and
    /// labels, which costs more than the increment.
    public static func count(_ messages: some Sequence<BridgeMessage>, protocolName: String) {
        var patronMessages: [UInt64: Int64] = [:]
        var replies: [UInt64: Int64] = [:]
        var failures: Int64 = 0
        for message in messages {
            switch message {
            case .messageReceived(let inbound): patronMessages[inbound.gatewayID, default: 0] += 1
            case .sendMessage(let outbound): replies[outbound.gatewayID, default: 0] += 1
            case .deliveryStatus(let report) where report.status == .failed: failures += 1
            default: break
            }
        }
        for (gatewayID, count) in patronMessages {
            MetricFamily.messagesIn.counter(protocolName, String(gatewayID)).increment(by: count)
        }
        for (gatewayID, count) in replies {
            MetricFamily.messagesOut.counter(protocolName, String(gatewayID)).increment(by: count)
        }
        if failures > 0 { MetricFamily.deliveryFailures.counter(protocolName).increment(by: failures) }
    }

    /// Counts `count` replies to patrons as passed on for delivery (on the router: once their bridge acknowledged
    /// them).
    public static func countReplies(_ count: Int64, protocolName: String, gatewayID: Int64) {
        MetricFamily.messagesOut.counter(protocolName, String(UInt64(bitPattern: gatewayID))).increment(by: count)
    }
}
