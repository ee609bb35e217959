import Foundation
import RefdeskStore
import Testing

@Suite("Database executor and group commit")
struct DatabaseExecutorTests {
    private static let counterSchema = [
        Migration(version: 1, name: "rows", sql: "CREATE TABLE rows (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE);"),
    ]

    private func open(_ path: String) throws -> DatabaseExecutor {
        try DatabaseExecutor(path: path, migrations: Self.counterSchema, logger: quietLogger)
    }

    private struct Refused: Error, Equatable {
        let label: String
    }

    @Test("a write returns its body's value and a later read sees it")
    func writeThenRead() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("basic.sqlite"))
        let id = try await executor.write { connection in
            try connection.run("INSERT INTO rows (label) VALUES (?)", "first")
            return connection.lastInsertRowID
        }
        let label = try await executor.read { connection in
            try connection.queryFirst("SELECT label FROM rows WHERE id = ?", id) { try $0.string(0) }
        }
        #expect(label == "first")
        await executor.close()
    }

    @Test("a submitted write keeps its place: a read queued after it sees it before its caller awaited anything")
    func submittedWriteIsOrderedBeforeLaterWork() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("submitted.sqlite"))
        let first = executor.submitWrite { try $0.run("INSERT INTO rows (label) VALUES (?)", "first") }
        let second = executor.submitWrite { try $0.run("INSERT INTO rows (label) VALUES (?)", "second") }
        let seen = try await executor.read { connection in
            try connection.query("SELECT label FROM rows ORDER BY id") { try $0.string(0) }
        }
        #expect(seen == ["first", "second"])
        try await first.value()
        try await second.value()
        await executor.close()
    }

    @Test("a submitted write that fails reports its error when awaited, and only its own changes are undone")
    func submittedWriteFailure() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("submitted-failure.sqlite"))
        let good = executor.submitWrite { try $0.run("INSERT INTO rows (label) VALUES (?)", "kept") }
        let bad = executor.submitWrite { connection in
            try connection.run("INSERT INTO rows (label) VALUES (?)", "undone")
            throw Refused(label: "undone")
        }
        try await good.value()
        await #expect(throws: Refused(label: "undone")) { try await bad.value() }
        let labels = try await executor.read { try $0.query("SELECT label FROM rows") { try $0.string(0) } }
        #expect(labels == ["kept"])
        await executor.close()
    }

    @Test("200 concurrent writes are all durable and visible after close and re-open")
    func concurrentWritesAreDurable() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("concurrent.sqlite")
        let executor = try open(path)
        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<200 {
                group.addTask {
                    try await executor.write { connection in
                        try connection.run("INSERT INTO rows (label) VALUES (?)", "row-\(index)")
                    }
                }
            }
        }
        let statistics = executor.statistics
        #expect(statistics.writes == 200)
        #expect(statistics.commits <= 200)
        await executor.close()

        let reopened = try open(path)
        let labels = try await reopened.read { connection in
            try connection.query("SELECT label FROM rows") { try $0.string(0) }
        }
        #expect(Set(labels) == Set((0..<200).map { "row-\($0)" }))
        await reopened.close()
    }

    @Test("writes queued during a commit share one COMMIT, and a failing one rolls back only itself")
    func failingWriteInsideAGroup() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("group.sqlite")
        let executor = try open(path)
        let queuedBehindGate = 11

        // The gate write holds the database thread until the others are queued, so they form one group.
        async let gate: Void = executor.write { connection in
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while executor.pendingWorkCount < queuedBehindGate && ContinuousClock.now < deadline {
                usleep(1000)
            }
            try connection.run("INSERT INTO rows (label) VALUES (?)", "gate")
        }
        #expect(try await eventually { executor.statistics.writes == 1 })

        let outcomes = await withTaskGroup(of: (String, Result<Void, any Error>).self) { group in
            for index in 0..<queuedBehindGate {
                let label = index == 5 ? "doomed" : "group-\(index)"
                group.addTask {
                    do {
                        try await executor.write { connection in
                            try connection.run("INSERT INTO rows (label) VALUES (?)", label)
                            if label == "doomed" { throw Refused(label: label) }
                        }
                        return (label, .success(()))
                    } catch {
                        return (label, .failure(error))
                    }
                }
            }
            var outcomes: [String: Result<Void, any Error>] = [:]
            for await (label, outcome) in group { outcomes[label] = outcome }
            return outcomes
        }
        try await gate

        #expect(executor.statistics.commits == 2, "the gate's group, then one group for all eleven")
        #expect(executor.statistics.writes == 12)
        for (label, outcome) in outcomes {
            switch outcome {
            case .success:
                #expect(label != "doomed")
            case .failure(let error):
                #expect(label == "doomed")
                #expect(error as? Refused == Refused(label: "doomed"))
            }
        }
        await executor.close()

        let reopened = try open(path)
        let labels = try await reopened.read { connection in
            try connection.query("SELECT label FROM rows ORDER BY label") { try $0.string(0) }
        }
        #expect(labels.count == 11)
        #expect(!labels.contains("doomed"))
        #expect(labels.contains("gate"))
        await reopened.close()
    }

    @Test("a constraint violation fails only its own write")
    func constraintViolationIsPerWrite() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("constraint.sqlite"))
        try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('taken')") }
        let error = await #expect(throws: SQLiteError.self) {
            try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('taken')") }
        }
        #expect(error?.isConstraintViolation == true)
        try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('free')") }
        let count = try await executor.read { try $0.queryFirst("SELECT count(*) FROM rows") { try $0.int(0) } }
        #expect(count == 2)
        await executor.close()
    }

    @Test("a read cannot write: it would bypass group commit")
    func readsAreReadOnly() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("readonly.sqlite"))
        let error = await #expect(throws: SQLiteError.self) {
            try await executor.read { try $0.run("INSERT INTO rows (label) VALUES ('sneaky')") }
        }
        #expect(error?.message.contains("readonly") == true)
        try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('proper')") }
        let labels = try await executor.read { try $0.query("SELECT label FROM rows") { try $0.string(0) } }
        #expect(labels == ["proper"])
        await executor.close()
    }

    @Test("a committed read answers while another write is still running, and sees only what was committed")
    func committedReadDoesNotWaitForAWriteInProgress() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("committed.sqlite"))
        try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('durable')") }
        let release = Flag()
        // This write holds the database thread (as a long fsync would) until the committed read has answered.
        let held = executor.submitWrite { connection in
            try connection.run("INSERT INTO rows (label) VALUES ('in flight')")
            release.waitBlocking()
        }
        #expect(try await eventually { executor.statistics.writes == 2 })
        let during = try await executor.readCommitted { try $0.query("SELECT label FROM rows ORDER BY id") { try $0.string(0) } }
        #expect(during == ["durable"])
        #expect(!release.isSet)
        release.set()
        try await held.value()
        let after = try await executor.readCommitted { try $0.query("SELECT label FROM rows ORDER BY id") { try $0.string(0) } }
        #expect(after == ["durable", "in flight"])
        await executor.close()
    }

    @Test("a committed read cannot write either")
    func committedReadsAreReadOnly() async throws {
        let scratch = try ScratchDirectory()
        let executor = try open(scratch.path("committed-readonly.sqlite"))
        let error = await #expect(throws: SQLiteError.self) {
            try await executor.readCommitted { try $0.run("INSERT INTO rows (label) VALUES ('sneaky')") }
        }
        #expect(error?.message.contains("readonly") == true)
        let count = try await executor.read { try $0.queryFirst("SELECT count(*) FROM rows") { try $0.int(0) } }
        #expect(count == 0)
        await executor.close()
        await #expect(throws: DatabaseExecutorError.self) {
            try await executor.readCommitted { try $0.queryFirst("SELECT count(*) FROM rows") { try $0.int(0) } }
        }
    }

    @Test("housekeeping alone commits without an fsync; one synced write in its group fsyncs all of it")
    func deferredSyncWrites() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("deferred.sqlite")
        let executor = try open(path)
        try await executor.write(durability: .deferredSync) { try $0.run("INSERT INTO rows (label) VALUES ('housekeeping')") }
        #expect(executor.statistics.commits == 1)
        #expect(executor.statistics.unsyncedCommits == 1)
        let visible = try await executor.readCommitted { try $0.query("SELECT label FROM rows") { try $0.string(0) } }
        #expect(visible == ["housekeeping"])

        try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('decision')") }
        #expect(executor.statistics.unsyncedCommits == 1)

        // Held behind a write that blocks the database thread, both land in one group, which is synced.
        let release = Flag()
        let gate = executor.submitWrite { _ in release.waitBlocking() }
        #expect(try await eventually { executor.statistics.writes == 3 })
        let housekeeping = executor.submitWrite(durability: .deferredSync) { try $0.run("INSERT INTO rows (label) VALUES ('more housekeeping')") }
        let decision = executor.submitWrite { try $0.run("INSERT INTO rows (label) VALUES ('another decision')") }
        release.set()
        try await gate.value()
        try await housekeeping.value()
        try await decision.value()
        #expect(executor.statistics.commits == 4)
        #expect(executor.statistics.unsyncedCommits == 1)
        await executor.close()

        let reopened = try open(path)
        let count = try await reopened.read { try $0.queryFirst("SELECT count(*) FROM rows") { try $0.int(0) } }
        #expect(count == 4)
        await reopened.close()
    }

    @Test("close finishes the work already queued, then refuses new work")
    func closeDrainsThenRefuses() async throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("close.sqlite")
        let executor = try open(path)
        let closing = Flag()
        // The gate holds the database thread until close() is about to be called with five writes queued.
        async let gate: Void = executor.write { connection in
            closing.waitBlocking()
            usleep(20_000)
            try connection.run("INSERT INTO rows (label) VALUES ('gate')")
        }
        #expect(try await eventually { executor.statistics.writes == 1 })
        async let queued: Void = withThrowingDiscardingTaskGroup { group in
            for index in 0..<5 {
                group.addTask { try await executor.write { try $0.run("INSERT INTO rows (label) VALUES (?)", "queued-\(index)") } }
            }
        }
        #expect(try await eventually { executor.pendingWorkCount == 5 })
        closing.set()
        await executor.close()
        try await gate
        try await queued

        await #expect(throws: DatabaseExecutorError.closed(path: path)) {
            try await executor.write { try $0.run("INSERT INTO rows (label) VALUES ('late')") }
        }
        let reopened = try open(path)
        let count = try await reopened.read { try $0.queryFirst("SELECT count(*) FROM rows") { try $0.int(0) } }
        #expect(count == 6)
        await reopened.close()
    }

    @Test("a refused database fails the executor's initialiser")
    func refusedDatabaseFailsInit() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("garbage.sqlite")
        try Data(repeating: 0xAB, count: 2048).write(to: URL(fileURLWithPath: path))
        #expect(throws: DatabaseOpenError.self) {
            _ = try open(path)
        }
    }
}
