import CRefdeskSQLite
import Logging

extension SQLiteConnection {
    /// Opens a refdesk database safely: creates a missing file, refuses a file that is not a database,
    /// is corrupt, or carries a newer schema (all without writing to it), then sets WAL mode,
    /// `synchronous=FULL` and foreign keys, and applies pending migrations.
    ///
    /// The checks run before anything is written, so a refused file is left byte for byte as it was.
    public static func openDatabase(
        at path: String,
        migrations: [Migration],
        busyTimeout: Duration = .seconds(5),
        logger: Logger
    ) throws -> SQLiteConnection {
        let migrations = try migrations.validated()
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, busyTimeout: busyTimeout)
        } catch let error as SQLiteError {
            throw refusal(for: error, path: path)
        }
        do {
            try connection.checkReadable(newestKnown: migrations.newestVersion)
            try connection.configure()
        } catch let error as SQLiteError {
            try? connection.close()
            throw refusal(for: error, path: path)
        } catch {
            try? connection.close()
            throw error
        }
        do {
            try connection.migrate(migrations, logger: logger)
        } catch {
            try? connection.close()
            throw error
        }
        return connection
    }

    /// The schema version recorded in the file (`PRAGMA user_version`).
    public var userVersion: Int {
        get throws {
            try queryFirst("PRAGMA user_version") { try $0.int(0) } ?? 0
        }
    }

    /// Applies the migrations newer than the file's version, in order, in one transaction: either the
    /// file reaches the newest version or it stays exactly as it was.
    public func migrate(_ migrations: [Migration], logger: Logger) throws {
        let migrations = try migrations.validated()
        let current = try userVersion
        guard current <= migrations.newestVersion else {
            throw DatabaseOpenError.schemaTooNew(path: path, found: current, newestKnown: migrations.newestVersion)
        }
        let pending = migrations.filter { $0.version > current }
        guard !pending.isEmpty else { return }
        // `PRAGMA foreign_keys` is a no-op inside a transaction, so it is switched around it.
        let rebuilds = pending.contains(where: \.rebuildsTables)
        let foreignKeys = try queryFirst("PRAGMA foreign_keys") { try $0.int(0) } ?? 0
        if rebuilds { try execute("PRAGMA foreign_keys = OFF") }
        defer { if rebuilds && foreignKeys != 0 { try? execute("PRAGMA foreign_keys = ON") } }
        try transaction(.exclusive) {
            for migration in pending {
                do {
                    try execute(migration.sql)
                    if migration.rebuildsTables {
                        let broken = try query("PRAGMA foreign_key_check") { "\(try $0.string(0)) row \(try $0.int64(1)) → \(try $0.string(2))" }
                        if let first = broken.first {
                            throw DatabaseOpenError.invalidMigrations(
                                "migration \(migration.version) (\(migration.name)) left \(broken.count) broken reference(s), e.g. \(first)"
                            )
                        }
                    }
                    try execute("PRAGMA user_version = \(migration.version)")
                } catch let error as SQLiteError {
                    throw DatabaseOpenError.migrationFailed(
                        path: path, version: migration.version, name: migration.name, underlying: error
                    )
                }
            }
        }
        for migration in pending {
            logger.info(
                "applied database migration",
                metadata: ["path": "\(path)", "version": "\(migration.version)", "migration": "\(migration.name)"]
            )
        }
    }

    /// Reads the file without writing: its version, then `PRAGMA quick_check`.
    private func checkReadable(newestKnown: Int) throws {
        let version = try userVersion
        guard version <= newestKnown else {
            throw DatabaseOpenError.schemaTooNew(path: path, found: version, newestKnown: newestKnown)
        }
        let problems = try query("PRAGMA quick_check") { try $0.string(0) }
        guard problems == ["ok"] else {
            let shown = problems.prefix(3).joined(separator: "; ")
            throw DatabaseOpenError.notADatabaseOrCorrupt(path: path, detail: "integrity check failed: \(shown)")
        }
    }

    /// WAL lets reads proceed during a write; `synchronous=FULL` makes a returned COMMIT durable even
    /// across power loss; foreign keys are off by default in SQLite and the schemas rely on them.
    private func configure() throws {
        let mode = try queryFirst("PRAGMA journal_mode = WAL") { try $0.string(0) }
        guard mode?.lowercased() == "wal" else {
            throw SQLiteError(
                code: SQLITE_ERROR,
                message: "could not switch to WAL journal mode (SQLite kept \(mode ?? "no mode"))",
                sql: "PRAGMA journal_mode = WAL"
            )
        }
        try execute("PRAGMA synchronous = FULL")
        try execute("PRAGMA foreign_keys = ON")
    }

    private static func refusal(for error: SQLiteError, path: String) -> DatabaseOpenError {
        if error.isNotADatabaseOrCorrupt {
            return .notADatabaseOrCorrupt(path: path, detail: error.message)
        }
        return .cannotOpen(path: path, underlying: error)
    }
}
