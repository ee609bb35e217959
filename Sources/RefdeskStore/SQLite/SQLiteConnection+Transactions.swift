import CRefdeskSQLite

/// How a transaction takes its locks.
public enum TransactionKind: String, Sendable {
    /// Takes locks when first needed; fine for reads.
    case deferred = "DEFERRED"
    /// Takes the write lock at once, so a write transaction never fails half-way with `SQLITE_BUSY`
    /// because another connection started writing first.
    case immediate = "IMMEDIATE"
    case exclusive = "EXCLUSIVE"
}

extension SQLiteConnection {
    /// Runs `body` in a transaction: committed when `body` returns, rolled back when it throws.
    ///
    /// Inside an already open transaction this becomes a savepoint, so helpers that need atomicity can
    /// call it without knowing whether their caller already opened one.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        if isInTransaction {
            return try savepoint(body)
        }
        try execute("BEGIN \(kind.rawValue)")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackIfOpen()
            throw error
        }
        do {
            try execute("COMMIT")
        } catch {
            rollbackIfOpen()
            throw error
        }
        return result
    }

    /// Runs `body` inside a savepoint: when it throws, only its own changes are undone and the
    /// enclosing transaction (if any) carries on.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "refdesk_savepoint_\(savepointDepth)"
        try execute("SAVEPOINT \(name)")
        let result: T
        do {
            result = try body()
        } catch {
            // SQLite may already have abandoned the whole transaction (e.g. after SQLITE_FULL); then
            // there is no savepoint left to roll back to.
            if isInTransaction {
                try? execute("ROLLBACK TO \(name)")
                try? execute("RELEASE \(name)")
            }
            throw error
        }
        try execute("RELEASE \(name)")
        return result
    }

    func rollbackIfOpen() {
        if isInTransaction {
            try? execute("ROLLBACK")
        }
    }
}
