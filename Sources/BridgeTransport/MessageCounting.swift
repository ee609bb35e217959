import BridgeProtocol
import CoreMetrics
import RefdeskMetrics

/// The message counters the router and every bridge share (``MetricFamily/messagesIn``, ``MetricFamily/messagesOut``,
/// ``MetricFamily/deliveryFailures``), fed where a frame is known to be new, so a frame resent after a reconnect is
/// counted once without a window of remembered ids.
public enum MessageCounting {
    /// Counts `message` for `protocolName`: a patron message in, a reply out, or a failed delivery; other frames
    /// are not counted.
    public static func count(_ message: BridgeMessage, protocolName: String) {
        switch message {
        case .messageReceived(let inbound):
            MetricFamily.messagesIn.counter(protocolName, String(inbound.gatewayID)).increment()
        case .sendMessage(let outbound):
            MetricFamily.messagesOut.counter(protocolName, String(outbound.gatewayID)).increment()
        case .deliveryStatus(let report) where report.status == .failed:
            MetricFamily.deliveryFailures.counter(protocolName).increment()
        default:
            break
        }
    }

    /// Counts a reply to a patron as passed on for delivery (on the router: once its bridge acknowledged it).
    public static func countReply(protocolName: String, gatewayID: Int64) {
        MetricFamily.messagesOut.counter(protocolName, String(UInt64(bitPattern: gatewayID))).increment()
    }
}
