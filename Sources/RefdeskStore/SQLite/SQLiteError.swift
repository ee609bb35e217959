import CRefdeskSQLite

/// A failure reported by SQLite, kept with everything needed to act on it from a log line alone:
/// the result code (to decide, e.g., whether a constraint was violated), SQLite's own message, and
/// the SQL that failed (so an operator reading the journal knows which statement broke).
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary result code (`SQLITE_CONSTRAINT`, `SQLITE_NOTADB`, …).
    public let code: Int32
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, …) when SQLite reported one.
    public let extendedCode: Int32
    /// SQLite's explanation, as returned by `sqlite3_errmsg` at the time of the failure.
    public let message: String
    /// The statement that failed, or `nil` when the failure was not tied to one (opening, closing).
    public let sql: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, sql: String?) {
        self.code = code & 0xFF
        self.extendedCode = extendedCode ?? code
        self.message = message
        self.sql = sql
    }

    /// Captures the current error state of a connection handle.
    init(code: Int32, handle: OpaquePointer?, sql: String?) {
        let message: String
        if let handle, let text = sqlite3_errmsg(handle) {
            message = String(cString: text)
        } else if let text = sqlite3_errstr(code) {
            message = String(cString: text)
        } else {
            message = "unknown error"
        }
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        self.init(code: code, extendedCode: extended, message: message, sql: sql)
    }

    /// True for UNIQUE, PRIMARY KEY, CHECK, NOT NULL and FOREIGN KEY violations: the data was refused,
    /// the database itself is fine.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    /// True when the file is not a database or its content is damaged: such a file must never be
    /// overwritten, because the operator may still be able to recover it.
    public var isNotADatabaseOrCorrupt: Bool { code == SQLITE_NOTADB || code == SQLITE_CORRUPT }

    public var description: String {
        let name = sqlite3_errstr(code).map { String(cString: $0) } ?? "error"
        var text = "SQLite error \(code) (\(name)): \(message)"
        if let sql {
            text += " while running `\(SQLiteError.abbreviated(sql))`"
        }
        return text
    }

    /// Keeps log lines readable when a whole migration script failed.
    private static func abbreviated(_ sql: String) -> String {
        let flattened = sql.split(whereSeparator: \.isNewline).map { $0.trimmingLeadingSpaces() }.joined(separator: " ")
        if flattened.count <= 200 { return flattened }
        return String(flattened.prefix(200)) + "…"
    }
}

extension Substring {
    fileprivate func trimmingLeadingSpaces() -> Substring {
        drop(while: { $0 == " " || $0 == "\t" })
    }
}
