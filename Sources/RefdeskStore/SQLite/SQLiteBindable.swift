import CRefdeskSQLite

/// A Swift value that can be bound to a statement parameter. Only the types refdesk stores are
/// supported, so every column has one obvious Swift representation; `nil` binds SQL NULL.
public protocol SQLiteBindable {
    /// Binds `self` to the 1-based parameter `index` of `statement`.
    func bind(to statement: SQLiteStatement, at index: Int32) throws
}

extension Int64: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(self, at: index)
    }
}

extension Int: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(Int64(self), at: index)
    }
}

extension Bool: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(self ? Int64(1) : Int64(0), at: index)
    }
}

extension String: SQLiteBindable {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(self, at: index)
    }
}

extension Array: SQLiteBindable where Element == UInt8 {
    public func bind(to statement: SQLiteStatement, at index: Int32) throws {
        try statement.bind(self, at: index)
    }
}
