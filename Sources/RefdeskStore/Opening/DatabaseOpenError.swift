/// Why a database file was refused. Every case names the path: the message goes to the journal of a
/// daemon that will not start, and the administrator needs to know which file to look at.
///
/// A refused file is never modified, recreated or migrated: it may hold the only copy of a
/// library's conversations.
public enum DatabaseOpenError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file was written by a newer refdesk; opening it with this one could misread or damage it.
    case schemaTooNew(path: String, found: Int, newestKnown: Int)
    /// The file is not an SQLite database, or its content is damaged.
    case notADatabaseOrCorrupt(path: String, detail: String)
    /// The file could not be opened at all (missing directory, permissions, …).
    case cannotOpen(path: String, underlying: SQLiteError)
    /// Applying a migration failed; the transaction was rolled back and the file is as it was.
    case migrationFailed(path: String, version: Int, name: String, underlying: SQLiteError)
    /// The program's own migration list is malformed.
    case invalidMigrations(String)

    public var description: String {
        switch self {
        case .schemaTooNew(let path, let found, let newestKnown):
            return "\(path): database schema version \(found) is newer than this refdesk understands (newest known: \(newestKnown)); refusing to open it"
        case .notADatabaseOrCorrupt(let path, let detail):
            return "\(path) is not a database or is corrupt (\(detail)); refusing to open it and leaving the file untouched"
        case .cannotOpen(let path, let underlying):
            return "cannot open database \(path): \(underlying.message)"
        case .migrationFailed(let path, let version, let name, let underlying):
            return "\(path): migration \(version) (\(name)) failed and was rolled back: \(underlying)"
        case .invalidMigrations(let detail):
            return "invalid migration list: \(detail)"
        }
    }
}
