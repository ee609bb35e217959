import CRefdeskSQLite

/// A prepared statement. Preparing parses and plans the SQL once; hot statements are kept in the
/// connection's cache and reused, which matters on the router's message path.
///
/// Not `Sendable`: like its connection it lives on the database thread only.
public final class SQLiteStatement {
    let handle: OpaquePointer
    let connectionHandle: OpaquePointer
    /// The SQL this statement was prepared from, kept for error messages.
    public let sql: String
    /// Set while a cached statement is being used, so a nested use of the same SQL prepares a fresh one
    /// instead of resetting a statement that is still being stepped.
    var isInUse = false

    init(connectionHandle: OpaquePointer, sql: String) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connectionHandle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw SQLiteError(code: code, handle: connectionHandle, sql: sql)
        }
        self.handle = statement
        self.connectionHandle = connectionHandle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, handle: connectionHandle, sql: sql)
        }
    }

    // MARK: Binding (parameters are 1-based, as in SQLite)

    /// Binds a 64-bit integer.
    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds an integer (stored as 64 bits).
    public func bind(_ value: Int, at index: Int32) throws {
        try bind(Int64(value), at: index)
    }

    /// Binds a flag as 1 or 0, matching the schemas' `CHECK (x IN (0, 1))`.
    public func bind(_ value: Bool, at index: Int32) throws {
        try bind(value ? Int64(1) : Int64(0), at: index)
    }

    /// Binds text; SQLite copies it (`SQLITE_TRANSIENT`), so the Swift string may go away at once.
    public func bind(_ value: String, at index: Int32) throws {
        var text = value
        let code = text.withUTF8 { utf8 -> Int32 in
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                // A nil pointer would bind NULL; an empty string must stay an empty string.
                return sqlite3_bind_text(handle, index, "", 0, refdesk_sqlite_transient())
            }
            let chars = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            return sqlite3_bind_text64(handle, index, chars, UInt64(utf8.count), refdesk_sqlite_transient(), UInt8(SQLITE_UTF8))
        }
        try check(code)
    }

    /// Binds a blob; SQLite copies the bytes.
    public func bind(_ value: [UInt8], at index: Int32) throws {
        let code = value.withUnsafeBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                // A nil pointer would bind NULL; an empty blob must stay an empty blob.
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob64(handle, index, base, UInt64(bytes.count), refdesk_sqlite_transient())
        }
        try check(code)
    }

    /// Binds SQL NULL.
    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index))
    }

    /// Binds `values` to parameters 1…n in order; `nil` binds NULL. Refuses a count mismatch, which
    /// would otherwise silently leave parameters NULL.
    public func bind(_ values: [(any SQLiteBindable)?]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard values.count == expected else {
            throw SQLiteError(
                code: SQLITE_RANGE,
                message: "statement takes \(expected) parameters but \(values.count) values were given",
                sql: sql
            )
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            if let value {
                try value.bind(to: self, at: index)
            } else {
                try bindNull(at: index)
            }
        }
    }

    // MARK: Stepping

    /// Advances to the next row; returns `false` once the statement is done.
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: code, handle: connectionHandle, sql: sql)
        }
    }

    /// Makes the statement ready to run again and forgets its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// The current row, valid until the next `step()` or `reset()`.
    public var row: SQLiteRow { SQLiteRow(statement: self) }
}
