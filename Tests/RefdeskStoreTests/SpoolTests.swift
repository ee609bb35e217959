import RefdeskStore
import Testing

@Suite("Bridge spool")
struct SpoolTests {
    @Test("inbound frames are spooled in order, payload bytes intact")
    func spoolAndList() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        let payload: [UInt8] = [0x52, 0x44, 0x00, 0xFF, 0x10]
        let first = try spool.spoolInbound(id: "SM1", payload: payload, at: 100)
        let second = try spool.spoolInbound(id: "SM2", payload: [], at: 200)
        guard case .spooled(let s1) = first, case .spooled(let s2) = second else {
            Issue.record("expected both frames to be spooled, got \(first) and \(second)")
            return
        }
        #expect(s1 < s2)
        #expect(try spool.pendingInbound(limit: 10) == [
            SpooledFrame(seq: s1, id: "SM1", payload: payload, createdAt: 100),
            SpooledFrame(seq: s2, id: "SM2", payload: [], createdAt: 200),
        ])
        #expect(try spool.pendingInbound(afterSeq: s1, limit: 10).map(\.id) == ["SM2"])
        #expect(try spool.pendingInbound(limit: 1).map(\.id) == ["SM1"])
        #expect(try spool.pendingInboundCount() == 2)
    }

    @Test("a replayed id is a duplicate while pending and after the router acked it")
    func duplicateDetection() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        #expect(try spool.spoolInbound(id: "SM1", payload: [1], at: 100) != .duplicate)
        #expect(try spool.spoolInbound(id: "SM1", payload: [1], at: 101) == .duplicate)

        #expect(try spool.acknowledgeInbound(ids: ["SM1"], at: 150) == [[1]], "the acknowledged frame, to count once")
        #expect(try spool.acknowledgeInbound(ids: ["SM1"], at: 151).isEmpty, "a second ack finds nothing to count")
        #expect(try spool.pendingInbound(limit: 10).isEmpty)
        #expect(try spool.spoolInbound(id: "SM1", payload: [1], at: 200) == .duplicate)
    }

    @Test("duplicates are still recognised after the spool is closed and re-opened")
    func duplicateAcrossReopen() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("spool.sqlite")
        let first = try DatabaseExecutor(path: path, migrations: SpoolSchema.migrations, logger: quietLogger)
        _ = try await first.write { try $0.spoolInbound(id: "SM-pending", payload: [1], at: 1) }
        _ = try await first.write { try $0.spoolInbound(id: "SM-forwarded", payload: [2], at: 2) }
        _ = try await first.write { try $0.acknowledgeInbound(ids: ["SM-forwarded"], at: 3) }
        await first.close()

        let second = try DatabaseExecutor(path: path, migrations: SpoolSchema.migrations, logger: quietLogger)
        let replays = try await second.write { spool in
            [try spool.spoolInbound(id: "SM-pending", payload: [1], at: 4), try spool.spoolInbound(id: "SM-forwarded", payload: [2], at: 5)]
        }
        #expect(replays == [.duplicate, .duplicate])
        #expect(try await second.read { try $0.pendingInbound(limit: 10).map(\.id) } == ["SM-pending"])
        await second.close()
    }

    @Test("pruning forgets forwarded ids older than the cut-off only")
    func pruneForwarded() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        _ = try spool.spoolInbound(id: "old", payload: [1], at: 1)
        _ = try spool.spoolInbound(id: "new", payload: [1], at: 1)
        try spool.acknowledgeInbound(ids: ["old"], at: 100)
        try spool.acknowledgeInbound(ids: ["new"], at: 900)
        #expect(try spool.pruneForwarded(before: 500) == 1)
        #expect(try spool.spoolInbound(id: "old", payload: [1], at: 1000) != .duplicate)
        #expect(try spool.spoolInbound(id: "new", payload: [1], at: 1000) == .duplicate)
    }

    @Test("an outbound message is accepted once; the router's resend is recognised")
    func acceptOutboundDedupes() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        #expect(try spool.acceptOutbound(id: "o-1", gatewayID: 7, recipient: "+15551234567", body: "Hello", at: 100))
        #expect(try spool.acceptOutbound(id: "o-1", gatewayID: 7, recipient: "+15551234567", body: "Hello", at: 200) == false)
        let rows = try spool.allOutbound()
        #expect(rows.count == 1)
        #expect(rows.first == SpoolOutboundRecord(
            seq: rows.first?.seq ?? 0, id: "o-1", gatewayID: 7, recipient: "+15551234567", body: "Hello",
            state: .queued, attempts: 0, nextAttemptAt: 100, lastError: nil, createdAt: 100
        ))
    }

    @Test("due messages are the queued ones whose next attempt has come, earliest first")
    func dueAndRetries() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        _ = try spool.acceptOutbound(id: "a", gatewayID: 1, recipient: "r", body: "a", at: 100)
        _ = try spool.acceptOutbound(id: "b", gatewayID: 1, recipient: "r", body: "b", at: 110)
        _ = try spool.acceptOutbound(id: "c", gatewayID: 1, recipient: "r", body: "c", at: 120)
        #expect(try spool.dueOutbound(now: 115, limit: 10).map(\.id) == ["a", "b"])

        try spool.markOutbound(id: "a", state: .queued, error: "HTTP 503", nextAttemptAt: 1000)
        try spool.markOutbound(id: "b", state: .sent, error: nil)
        #expect(try spool.dueOutbound(now: 500, limit: 10).map(\.id) == ["c"])
        #expect(try spool.dueOutbound(now: 1000, limit: 10).map(\.id) == ["c", "a"])
        #expect(try spool.dueOutbound(now: 1000, limit: 1).map(\.id) == ["c"])
        #expect(try spool.queuedOutboundCount() == 2, "a and c wait; b was sent")

        try spool.markOutbound(id: "a", state: .failed, error: "21211 invalid number")
        let a = try #require(try spool.allOutbound().first { $0.id == "a" })
        #expect(a.state == .failed)
        #expect(a.attempts == 2)
        #expect(a.lastError == "21211 invalid number")
        #expect(a.nextAttemptAt == 1000)
        #expect(try spool.dueOutbound(now: 5000, limit: 10).map(\.id) == ["c"])
    }

    @Test("marking an unknown outbound message is reported")
    func markUnknown() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        #expect(throws: StoreError.notFound(table: "outbound", key: "'nope'")) {
            try spool.markOutbound(id: "nope", state: .sent, error: nil)
        }
    }

    @Test("finished outbound rows are pruned by age; queued ones never are")
    func pruneFinishedOutbound() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        _ = try spool.acceptOutbound(id: "sent-old", gatewayID: 1, recipient: "r", body: "b", at: 100)
        _ = try spool.acceptOutbound(id: "queued-old", gatewayID: 1, recipient: "r", body: "b", at: 100)
        _ = try spool.acceptOutbound(id: "sent-new", gatewayID: 1, recipient: "r", body: "b", at: 900)
        try spool.markOutbound(id: "sent-old", state: .sent, error: nil)
        try spool.markOutbound(id: "sent-new", state: .sent, error: nil)
        #expect(try spool.pruneFinishedOutbound(before: 500) == 1)
        #expect(try spool.allOutbound().map(\.id) == ["queued-old", "sent-new"])
    }

    @Test("the sender's look at the queue gives each patron's oldest queued message, in arrival order, and reads neither the later ones nor the sent ones")
    func nextOutboundPerPatron() throws {
        let scratch = try ScratchDirectory()
        let spool = try openSpool(scratch.path("spool.sqlite"))
        try spool.transaction {
            for n in 0..<5_000 {
                _ = try spool.acceptOutbound(id: "sent-\(n)", gatewayID: 1, recipient: "r\(n % 7)", body: "b", at: Int64(n))
                if n % 1_000 == 500 {
                    _ = try spool.acceptOutbound(id: "first-\(n)", gatewayID: 1, recipient: "q\(n)", body: "b", at: Int64(n))
                    _ = try spool.acceptOutbound(id: "later-\(n)", gatewayID: 1, recipient: "q\(n)", body: "b", at: Int64(n))
                }
                try spool.markOutbound(id: "sent-\(n)", state: .sent, error: nil)
            }
            // The same recipient on another gateway is another patron.
            _ = try spool.acceptOutbound(id: "other-gateway", gatewayID: 2, recipient: "q500", body: "b", at: 9_000)
        }
        #expect(try spool.nextOutboundPerPatron(limit: 10).map(\.id) == ["first-500", "first-1500", "first-2500", "first-3500", "first-4500", "other-gateway"])
        #expect(try spool.nextOutboundPerPatron(limit: 2).map(\.id) == ["first-500", "first-1500"])
        try spool.markOutbound(id: "first-1500", state: .sent, error: nil)
        #expect(try spool.nextOutboundPerPatron(limit: 3).map(\.id) == ["first-500", "later-1500", "first-2500"])
        // A day of sent replies and a backlog must not be read for every look: the plan walks the queued index only.
        let plan = try spool.query(
            "EXPLAIN QUERY PLAN SELECT id FROM outbound WHERE seq IN (SELECT min(seq) FROM outbound WHERE state = 'queued' GROUP BY gateway_id, recipient) ORDER BY seq LIMIT 10",
            row: { try $0.string(3) })
        #expect(plan.joined(separator: "; ").contains("USING INDEX outbound_queued_by_patron"), "query plan: \(plan)")
        #expect(!plan.contains("SCAN outbound"), "query plan: \(plan)")
    }
}
