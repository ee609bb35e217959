import BridgeProtocol
import Foundation
import Logging
import RefdeskStore
import Testing

@testable import RouterService

/// A bridge resends what it has no ack for; the router acts on each id once, however the copies overlap.
@Suite("The router's dedupe of bridges' messages")
struct RouterDedupeTests {
    @Test("a batch sent again while its first copy is still committing is stored once, and both calls return")
    func copyDuringCommit() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refdesk-router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = RouterConfiguration()
        configuration.databasePath = directory.appendingPathComponent("router.sqlite").path
        let logger = Logger(label: "refdesk.router.tests", factory: { _ in SwiftLogNoOpLogHandler() })

        let seeding = try DatabaseExecutor(path: configuration.databasePath, migrations: RouterSchema.migrations, logger: logger)
        try await seeding.write { connection in
            try connection.execute(
                """
                INSERT INTO queues (name, routing_policy, chat_limit, offline_reply) VALUES ('ask', 'ring-all', 0, '');
                INSERT INTO gateways (protocol, queue, username, normalised_username, secret, created_at)
                    VALUES ('test', 'ask', 'g1', 'g1', '', 0);
                """
            )
        }
        await seeding.close()

        let router = try await Router.open(configuration: configuration, logger: logger)
        // Big enough that the first copy's commit is still running when the second copy is checked.
        let batch = (0..<2_000).map { index in
            BridgeMessage.messageReceived(InboundMessage(id: "m\(index)", gatewayID: 1, from: "+1555010\(index % 10)", body: "question \(index)"))
        }
        async let first: Void = router.submitIngest(batch, protocolName: "test").value()
        async let second: Void = router.submitIngest(batch, protocolName: "test").value()
        try await first
        try await second
        async let third: Void = router.submitIngest(Array(batch.suffix(10)), protocolName: "test").value()
        try await third
        let stored = try await router.database.read { connection in
            try connection.query("SELECT message_id, count(*) FROM offline_inbox GROUP BY message_id") { (try $0.string(0), try $0.int(1)) }
        }
        #expect(stored.count == 2_000)
        #expect(stored.allSatisfy { $0.1 == 1 })
        await router.close()
    }
}
