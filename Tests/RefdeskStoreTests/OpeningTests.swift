import Foundation
import RefdeskStore
import Testing

@Suite("Opening a database safely and migrating it")
struct OpeningTests {
    private let twoSteps = [
        Migration(version: 1, name: "first", sql: "CREATE TABLE a (x INTEGER);"),
        Migration(version: 2, name: "second", sql: "CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7);"),
    ]

    @Test("a missing file is created, migrated to the newest version and set to WAL, FULL sync and foreign keys")
    func freshDatabase() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("fresh.sqlite")
        #expect(!FileManager.default.fileExists(atPath: path))
        let connection = try SQLiteConnection.openDatabase(at: path, migrations: twoSteps, logger: quietLogger)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try connection.userVersion == 2)
        #expect(try connection.queryFirst("PRAGMA journal_mode") { try $0.string(0) } == "wal")
        #expect(try connection.queryFirst("PRAGMA synchronous") { try $0.int(0) } == 2)
        #expect(try connection.queryFirst("PRAGMA foreign_keys") { try $0.int(0) } == 1)
        #expect(try connection.queryFirst("SELECT y FROM b") { try $0.int(0) } == 7)
    }

    @Test("re-opening applies nothing twice and only the migrations added since")
    func reopenAppliesOnlyNewMigrations() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("reopen.sqlite")
        let first = try SQLiteConnection.openDatabase(at: path, migrations: [twoSteps[0]], logger: quietLogger)
        try first.run("INSERT INTO a VALUES (1)")
        try first.close()

        let second = try SQLiteConnection.openDatabase(at: path, migrations: twoSteps, logger: quietLogger)
        #expect(try second.userVersion == 2)
        #expect(try second.queryFirst("SELECT count(*) FROM a") { try $0.int(0) } == 1)
        #expect(try second.queryFirst("SELECT count(*) FROM b") { try $0.int(0) } == 1)
        try second.close()

        // Same list again: nothing runs (re-running the INSERT would make two rows).
        let third = try SQLiteConnection.openDatabase(at: path, migrations: twoSteps, logger: quietLogger)
        #expect(try third.queryFirst("SELECT count(*) FROM b") { try $0.int(0) } == 1)
    }

    @Test("the real schemas migrate a fresh file and re-open cleanly", arguments: ["router", "spool"])
    func realSchemasOpenTwice(name: String) throws {
        let migrations = name == "router" ? RouterSchema.migrations : SpoolSchema.migrations
        let scratch = try ScratchDirectory()
        let path = scratch.path("\(name).sqlite")
        try SQLiteConnection.openDatabase(at: path, migrations: migrations, logger: quietLogger).close()
        let reopened = try SQLiteConnection.openDatabase(at: path, migrations: migrations, logger: quietLogger)
        #expect(try reopened.userVersion == migrations.count)
        let violations = try reopened.query("PRAGMA foreign_key_check") { try $0.string(0) }
        #expect(violations.isEmpty)
    }

    @Test("a database from a newer refdesk is refused and left byte for byte as it was")
    func newerSchemaRefused() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("newer.sqlite")
        let writer = try SQLiteConnection(path: path)
        try writer.execute("CREATE TABLE future (x); PRAGMA user_version = 7;")
        try writer.close()
        let before = try fileBytes(path)

        let error = try #require(throws: DatabaseOpenError.self) {
            _ = try SQLiteConnection.openDatabase(at: path, migrations: [twoSteps[0]], logger: quietLogger)
        }
        #expect(error == .schemaTooNew(path: path, found: 7, newestKnown: 1))
        #expect(error.description.contains(
            "database schema version 7 is newer than this refdesk understands (newest known: 1); refusing to open it"
        ))
        #expect(error.description.contains(path))
        #expect(try fileBytes(path) == before)
    }

    @Test("user_version 99 is refused for the router schema")
    func routerRefusesVersion99() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("router99.sqlite")
        let writer = try SQLiteConnection(path: path)
        try writer.execute("PRAGMA user_version = 99")
        try writer.close()
        #expect(throws: DatabaseOpenError.schemaTooNew(path: path, found: 99, newestKnown: RouterSchema.migrations.count)) {
            _ = try openRouterDatabase(path)
        }
    }

    @Test("a file that is not a database is refused with its path, never recreated")
    func garbageRefused() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("garbage.sqlite")
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: path))

        let error = try #require(throws: DatabaseOpenError.self) {
            _ = try openRouterDatabase(path)
        }
        guard case .notADatabaseOrCorrupt(let reportedPath, _) = error else {
            Issue.record("expected a not-a-database refusal, got \(error)")
            return
        }
        #expect(reportedPath == path)
        #expect(error.description.hasPrefix("\(path) is not a database or is corrupt"))
        #expect(try fileBytes(path) == garbage)
    }

    @Test("a database truncated in the middle is refused as corrupt, never recreated")
    func truncatedRefused() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("truncated.sqlite")
        let writer = try openRouterDatabase(path)
        try writer.transaction {
            for index in 0..<2000 {
                _ = try writer.markSeen(id: "frame-\(index)-\(String(repeating: "x", count: 100))", at: Int64(index))
            }
        }
        try writer.close()
        let whole = try fileBytes(path)
        #expect(whole.count > 100_000)
        let truncated = whole.prefix(whole.count / 2)
        try truncated.write(to: URL(fileURLWithPath: path))

        let error = try #require(throws: DatabaseOpenError.self) {
            _ = try openRouterDatabase(path)
        }
        guard case .notADatabaseOrCorrupt(let reportedPath, _) = error else {
            Issue.record("expected a corruption refusal, got \(error)")
            return
        }
        #expect(reportedPath == path)
        #expect(try fileBytes(path) == truncated)
    }

    @Test("a path in a missing directory fails with a message naming the path")
    func unopenablePath() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("no-such-directory/db.sqlite")
        let error = try #require(throws: DatabaseOpenError.self) {
            _ = try openRouterDatabase(path)
        }
        guard case .cannotOpen = error else {
            Issue.record("expected cannotOpen, got \(error)")
            return
        }
        #expect(error.description.hasPrefix("cannot open database \(path)"))
    }

    @Test("a failing migration is rolled back entirely and the version stays where it was")
    func failingMigrationRollsBack() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("failing.sqlite")
        let broken = [
            Migration(version: 1, name: "good", sql: "CREATE TABLE a (x);"),
            Migration(version: 2, name: "bad", sql: "CREATE TABLE b (y); INSERT INTO no_such_table VALUES (1);"),
        ]
        let error = try #require(throws: DatabaseOpenError.self) {
            _ = try SQLiteConnection.openDatabase(at: path, migrations: broken, logger: quietLogger)
        }
        guard case .migrationFailed(_, let version, let name, _) = error else {
            Issue.record("expected migrationFailed, got \(error)")
            return
        }
        #expect(version == 2)
        #expect(name == "bad")
        let check = try SQLiteConnection(path: path)
        #expect(try check.userVersion == 0)
        #expect(try check.queryFirst("SELECT count(*) FROM sqlite_master") { try $0.int(0) } == 0)
    }

    @Test("migration lists must start at 1 and strictly increase", arguments: [
        [Migration(version: 0, name: "zero", sql: "")],
        [Migration(version: 2, name: "b", sql: ""), Migration(version: 1, name: "a", sql: "")],
        [Migration(version: 1, name: "a", sql: ""), Migration(version: 1, name: "again", sql: "")],
    ])
    func invalidMigrationLists(migrations: [Migration]) throws {
        let scratch = try ScratchDirectory()
        let error = try #require(throws: DatabaseOpenError.self) {
            _ = try SQLiteConnection.openDatabase(at: scratch.path("x.sqlite"), migrations: migrations, logger: quietLogger)
        }
        guard case .invalidMigrations = error else {
            Issue.record("expected invalidMigrations, got \(error)")
            return
        }
    }
}

@Suite("Ids are never reused")
struct IdentifierTests {
    @Test("a deleted queue's, user's or gateway's id is not given to the next one")
    func neverReused() throws {
        let scratch = try ScratchDirectory()
        let connection = try openRouterDatabase(scratch.path("ids.sqlite"))
        try connection.insertQueue(QueueRecord(name: "a", routingPolicy: .ringAll, chatLimit: 0, offlineReply: "", keepsTranscripts: true))
        try connection.insertQueue(QueueRecord(name: "b", routingPolicy: .ringAll, chatLimit: 0, offlineReply: "", keepsTranscripts: true))
        #expect(try connection.storedQueue(named: "b")?.id == 2)
        try connection.deleteQueue(name: "b")
        try connection.insertQueue(QueueRecord(name: "c", routingPolicy: .ringAll, chatLimit: 0, offlineReply: "", keepsTranscripts: true))
        #expect(try connection.storedQueue(named: "c")?.id == 3)

        let first = try connection.insertGateway(protocol: "aim", queue: "a", username: "x", normalisedUsername: "x", secret: "", at: 0)
        try connection.deleteGateway(id: first)
        let second = try connection.insertGateway(protocol: "aim", queue: "a", username: "y", normalisedUsername: "y", secret: "", at: 0)
        #expect(second == first + 1)

        try connection.insertOperator(OperatorRecord(name: "olive", role: .operator, passwordHash: nil))
        try connection.deleteOperator(name: "olive")
        try connection.insertOperator(OperatorRecord(name: "otto", role: .operator, passwordHash: nil))
        #expect(try connection.storedOperators().map(\.id) == [2])
    }

    @Test("the ids migration keeps every row, id and reference of an existing database and then never reuses an id")
    func migrationKeepsRows() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("old.sqlite")
        let old = try SQLiteConnection.openDatabase(at: path, migrations: Array(RouterSchema.migrations.prefix(3)), logger: quietLogger)
        try old.execute(
            """
            INSERT INTO queues (id, name, routing_policy, chat_limit) VALUES (1, 'ask', 'ring-all', 0), (5, 'kids', 'ring-all', 0);
            INSERT INTO operators (id, name, role) VALUES (1, 'root', 'admin'), (2, 'olive', 'operator');
            INSERT INTO staffing_jids (jid, operator) VALUES ('olive@example.org', 'olive');
            INSERT INTO assignments (operator, queue) VALUES ('olive', 'ask');
            INSERT INTO gateways (id, protocol, queue, username, normalised_username, secret, created_at) VALUES (4, 'aim', 'ask', 'desk', 'desk', 's', 0);
            INSERT INTO patrons (gateway_id, address, first_seen_at, last_seen_at) VALUES (4, 'reader', 0, 0);
            INSERT INTO conversations (id, queue, gateway_id, patron, state, started_at) VALUES (9, 'ask', 4, 'reader', 'new', 0);
            INSERT INTO outbox (id, protocol, gateway_id, recipient, body, created_at) VALUES ('m1', 'aim', 4, 'reader', 'hi', 0);
            """
        )
        try old.close()
        let migrated = try SQLiteConnection.openDatabase(at: path, migrations: RouterSchema.migrations, logger: quietLogger)
        #expect(try migrated.userVersion == RouterSchema.migrations.last?.version)
        #expect(try migrated.storedQueues().map(\.id) == [1, 5])
        #expect(try migrated.gateways().map(\.id) == [4])
        #expect(try migrated.staffingJIDs().map(\.jid) == ["olive@example.org"])
        #expect(try migrated.assignments().map(\.queueName) == ["ask"])
        #expect(try migrated.patrons(gatewayID: 4).count == 1, "rows referring to a rebuilt table are untouched")
        #expect(try migrated.queryFirst("SELECT count(*) FROM outbox") { try $0.int(0) } == 1)
        #expect(try migrated.queryFirst("PRAGMA foreign_keys") { try $0.int(0) } == 1, "foreign keys are on again")
        #expect(try migrated.query("PRAGMA foreign_key_check") { try $0.string(0) }.isEmpty)
        try migrated.deleteGateway(id: 4)
        #expect(try migrated.patrons(gatewayID: 4).isEmpty, "the references still cascade")
        let next = try migrated.insertGateway(protocol: "aim", queue: "ask", username: "desk2", normalisedUsername: "desk2", secret: "", at: 0)
        #expect(next == 5)
        try migrated.close()
    }
}
