import CRefdeskSQLite

/// Typed access to the columns of the current result row (0-based, as in SQLite).
///
/// Reading NULL through a non-optional accessor throws instead of returning 0 or "": a NULL where the
/// schema promised a value means the database is not what this code expects, and must not pass silently.
public struct SQLiteRow {
    let statement: SQLiteStatement

    private var handle: OpaquePointer { statement.handle }

    /// The number of columns in the result.
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// True when the column holds SQL NULL.
    public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// An INTEGER column; throws on NULL.
    public func int64(_ column: Int32) throws -> Int64 {
        try requireValue(column, expected: "an integer")
        return sqlite3_column_int64(handle, column)
    }

    /// A nullable INTEGER column.
    public func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(handle, column)
    }

    /// An INTEGER column as `Int`; throws on NULL.
    public func int(_ column: Int32) throws -> Int {
        Int(try int64(column))
    }

    /// A 0/1 column; any non-zero value is `true`; throws on NULL.
    public func bool(_ column: Int32) throws -> Bool {
        try int64(column) != 0
    }

    /// A TEXT column, decoded as UTF-8 (invalid bytes are repaired, never trapped on); throws on NULL.
    public func string(_ column: Int32) throws -> String {
        try requireValue(column, expected: "text")
        return text(column)
    }

    /// A nullable TEXT column.
    public func optionalString(_ column: Int32) -> String? {
        isNull(column) ? nil : text(column)
    }

    /// A BLOB column (an empty blob reads as `[]`); throws on NULL.
    public func blob(_ column: Int32) throws -> [UInt8] {
        try requireValue(column, expected: "a blob")
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: count))
    }

    private func text(_ column: Int32) -> String {
        guard let base = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    private func requireValue(_ column: Int32, expected: String) throws {
        guard isNull(column) else { return }
        let name = sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "#\(column)"
        throw SQLiteError(
            code: SQLITE_MISMATCH,
            message: "column \(column) (\(name)) is NULL where \(expected) was expected",
            sql: statement.sql
        )
    }
}
