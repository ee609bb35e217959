import BridgeProtocol
import BridgeTransport
import CoreMetrics
import Foundation
import Logging
import MetricsTestKit
import RefdeskStore
import Testing

/// The message counters are fed where the spool knows a frame is new, so what a reconnect resends (frames, acks)
/// is counted once, as docs/operations.md promises.
@Suite("Message counters at a bridge's spool")
struct SpoolCountingTests {
    /// The labels of gateway 7 of the Twilio bridge.
    static let gateway7 = [("protocol", "twilio"), ("gateway", "7")]

    @Test("a patron message and a failed delivery count as forwarded once, when the router first acknowledges them")
    func forwardedOnceWhenAcknowledged() async throws {
        let metrics = TestMetrics()
        try await withSpool { spool in
            _ = try await spool.enqueue(.messageReceived(InboundMessage(id: "SM1", gatewayID: 7, from: "+15551234567", body: "hi")))
            _ = try await spool.enqueue(.deliveryStatus(DeliveryReport(id: "r-1", messageID: "o-1", status: .failed, reason: "unreachable")))
            _ = try await spool.enqueue(.deliveryStatus(DeliveryReport(id: "r-2", messageID: "o-2", status: .delivered)))
            #expect(metrics.counters.isEmpty, "spooled is not yet forwarded")
            try await withMetricsFactory(metrics) { () async throws -> Void in
                try await spool.acknowledged(ids: ["SM1", "r-1", "r-2"])
                try await spool.acknowledged(ids: ["SM1", "r-1", "r-2"])
            }
        }
        #expect(metrics.counterTotal(label: "refdesk_messages_in_total", dimensions: Self.gateway7) == 1)
        #expect(metrics.counterTotal(label: "refdesk_delivery_failures_total", dimensions: [("protocol", "twilio")]) == 1)
        #expect(metrics.counters.count == 2, "a delivered report is not a failure")
    }

    @Test("a reply counts as accepted for delivery once, though the router resends it")
    func acceptedOnce() async throws {
        let metrics = TestMetrics()
        try await withSpool { spool in
            let reply = BridgeMessage.sendMessage(OutboundMessage(id: "o-1", gatewayID: 7, to: "+15551234567", body: "hello"))
            let (first, resent) = try await withMetricsFactory(metrics) { () async throws -> (Int, Int) in
                (try await spool.acceptOutbound([reply]).count, try await spool.acceptOutbound([reply]).count)
            }
            #expect((first, resent) == (1, 0))
        }
        #expect(metrics.counterTotal(label: "refdesk_messages_out_total", dimensions: Self.gateway7) == 1)
    }

    private func withSpool(_ body: (BridgeSpool) async throws -> Void) async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rds-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = try BridgeSpool(path: directory.appendingPathComponent("spool.sqlite").path, protocolName: "twilio", logger: Logger(label: "test"))
        try await body(spool)
        await spool.database.close()
    }
}
