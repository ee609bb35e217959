/// One step of a database schema's history.
///
/// Migrations are append-only: a released migration is never edited, a change is a new version. The
/// applied version lives in `PRAGMA user_version`, so the file alone says which schema it holds.
public struct Migration: Sendable, Equatable {
    /// 1 for the first migration, then strictly increasing.
    public let version: Int
    /// A short name for logs ("initial schema").
    public let name: String
    /// One or more SQL statements.
    public let sql: String
    /// Rebuilds tables that others refer to (SQLite cannot add `AUTOINCREMENT` or change a constraint in
    /// place): it runs with foreign keys off, so dropping the old table does not cascade into the rows that
    /// refer to it, and every reference is checked with `PRAGMA foreign_key_check` before the commit.
    public let rebuildsTables: Bool

    public init(version: Int, name: String, sql: String, rebuildsTables: Bool = false) {
        self.version = version
        self.name = name
        self.sql = sql
        self.rebuildsTables = rebuildsTables
    }
}

extension [Migration] {
    /// The version a database has once all these migrations ran (0 for none).
    var newestVersion: Int { last?.version ?? 0 }

    /// Refuses lists that would apply steps in a surprising order.
    func validated() throws -> [Migration] {
        var previous = 0
        for migration in self {
            guard migration.version > previous else {
                throw DatabaseOpenError.invalidMigrations(
                    "migration \(migration.version) (\(migration.name)) follows version \(previous); versions must start at 1 and strictly increase"
                )
            }
            previous = migration.version
        }
        return self
    }
}
