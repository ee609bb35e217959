import CRefdeskSQLite

/// One SQLite connection.
///
/// Deliberately not `Sendable`: SQLite calls block, so a connection belongs to exactly one thread (the
/// `DatabaseExecutor`'s), and the type system keeps it there.
public final class SQLiteConnection {
    let handle: OpaquePointer
    /// The file this connection was opened on, named in every error about the file itself.
    public let path: String
    private var statementCache: [String: SQLiteStatement] = [:]
    /// refdesk's own SQL is a fixed set of strings; the limit only stops SQL built at run time from
    /// growing the cache without bound.
    static let statementCacheLimit = 128
    var savepointDepth = 0
    private var isClosed = false

    /// Opens `path`, creating the file when it is missing, with no checks and no pragmas; use
    /// `SQLiteConnection.openDatabase(at:migrations:logger:)` for a refdesk database.
    ///
    /// - Parameter busyTimeout: how long a statement waits for another process's lock (e.g. the
    ///   `sqlite3` shell of an administrator) before failing with `SQLITE_BUSY`.
    public init(path: String, busyTimeout: Duration = .seconds(5)) throws {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let error = SQLiteError(code: code, handle: connection, sql: nil)
            sqlite3_close_v2(connection)
            throw error
        }
        self.handle = connection
        self.path = path
        sqlite3_extended_result_codes(connection, 1)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(connection, Int32(clamping: milliseconds))
    }

    deinit {
        if !isClosed {
            statementCache.removeAll()
            sqlite3_close_v2(handle)
        }
    }

    /// Closes the connection; the WAL is checkpointed and removed when this was the last connection.
    /// Statements still held elsewhere keep the handle alive until they are released.
    public func close() throws {
        guard !isClosed else { return }
        statementCache.removeAll()
        let code = sqlite3_close_v2(handle)
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, handle: handle, sql: nil)
        }
        isClosed = true
    }

    // MARK: Executing

    /// Runs one or more SQL statements that return no rows the caller needs (schema scripts, pragmas).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        defer { sqlite3_free(errorMessage) }
        guard code == SQLITE_OK else {
            let message = errorMessage.map { String(cString: $0) }
                ?? sqlite3_errstr(code).map { String(cString: $0) } ?? "unknown error"
            throw SQLiteError(code: code, extendedCode: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Prepares a statement owned by the caller (not cached), e.g. for a statement used once.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connectionHandle: handle, sql: sql)
    }

    /// Runs `body` with a cached prepared statement for `sql`, then resets it. Hot statements are
    /// prepared once per connection instead of once per message.
    public func withStatement<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement: SQLiteStatement
        if let cached = statementCache[sql] {
            // When the cached one is being stepped by an outer caller, use a private copy.
            statement = cached.isInUse ? try prepare(sql) : cached
        } else {
            statement = try prepare(sql)
            if statementCache.count < Self.statementCacheLimit {
                statementCache[sql] = statement
            }
        }
        statement.isInUse = true
        defer {
            statement.reset()
            statement.isInUse = false
        }
        return try body(statement)
    }

    /// Runs a statement that returns no rows, binding `bindings` to its parameters in order.
    public func run(_ sql: String, _ bindings: (any SQLiteBindable)?...) throws {
        try run(sql, bindings: bindings)
    }

    /// Runs a statement that returns no rows, binding `bindings` to its parameters in order.
    public func run(_ sql: String, bindings: [(any SQLiteBindable)?]) throws {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            while try statement.step() {}
        }
    }

    /// Runs a query and maps every row with `row`.
    public func query<T>(_ sql: String, _ bindings: (any SQLiteBindable)?..., row: (SQLiteRow) throws -> T) throws -> [T] {
        try query(sql, bindings: bindings, row: row)
    }

    /// Runs a query and maps every row with `row`.
    public func query<T>(_ sql: String, bindings: [(any SQLiteBindable)?], row: (SQLiteRow) throws -> T) throws -> [T] {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            var results: [T] = []
            while try statement.step() {
                results.append(try row(statement.row))
            }
            return results
        }
    }

    /// Runs a query and maps its first row, or returns `nil` when there is none.
    public func queryFirst<T>(_ sql: String, _ bindings: (any SQLiteBindable)?..., row: (SQLiteRow) throws -> T) throws -> T? {
        try withStatement(sql) { statement in
            try statement.bind(bindings)
            guard try statement.step() else { return nil }
            return try row(statement.row)
        }
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// How many rows the most recent INSERT, UPDATE or DELETE changed.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    /// True while a transaction is open (SQLite is not in autocommit mode).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The number of statements currently held in the cache.
    public var cachedStatementCount: Int { statementCache.count }
}
