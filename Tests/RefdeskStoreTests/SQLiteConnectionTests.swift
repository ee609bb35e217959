import RefdeskStore
import Testing

@Suite("SQLite connection and statements")
struct SQLiteConnectionTests {
    private func scratchConnection(_ scratch: borrowing ScratchDirectory) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: scratch.path("plain.sqlite"))
        try connection.execute("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, f INTEGER, n TEXT)")
        return connection
    }

    @Test("every bindable type reads back exactly as written")
    func typedBindsRoundTrip() throws {
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        let blob: [UInt8] = [0, 1, 2, 0xFF, 0]
        try connection.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", Int64.min, "grüße\u{0}after-nul 📚", blob, true, nil)
        try connection.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", 42, "", [UInt8](), false, "x")
        let rows = try connection.query("SELECT i, s, b, f, n FROM t ORDER BY rowid") { row in
            (try row.int64(0), try row.string(1), try row.blob(2), try row.bool(3), row.optionalString(4))
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == Int64.min)
        #expect(rows[0].1 == "grüße\u{0}after-nul 📚")
        #expect(rows[0].2 == blob)
        #expect(rows[0].3 == true)
        #expect(rows[0].4 == nil)
        #expect(rows[1].0 == 42)
        #expect(rows[1].1 == "", "an empty string must not become NULL")
        #expect(rows[1].2 == [], "an empty blob must not become NULL")
        #expect(rows[1].3 == false)
        #expect(rows[1].4 == "x")
        let nulls = try connection.queryFirst("SELECT count(*) FROM t WHERE s IS NULL OR b IS NULL") { try $0.int(0) }
        #expect(nulls == 0)
    }

    @Test("reading NULL through a non-optional accessor throws and names the column")
    func nullIntoNonOptionalThrows() throws {
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        try connection.run("INSERT INTO t (i) VALUES (1)")
        let error = #expect(throws: SQLiteError.self) {
            _ = try connection.queryFirst("SELECT n FROM t") { try $0.string(0) }
        }
        #expect(error?.message.contains("column 0 (n) is NULL") == true)
    }

    @Test("binding the wrong number of values is refused instead of leaving parameters NULL")
    func bindCountMismatch() throws {
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        let error = #expect(throws: SQLiteError.self) {
            try connection.run("INSERT INTO t (i, s) VALUES (?, ?)", 1)
        }
        #expect(error?.message == "statement takes 2 parameters but 1 values were given")
    }

    @Test("an SQLite error carries the result code, SQLite's message and the failing SQL")
    func errorDescription() throws {
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        try connection.execute("CREATE TABLE u (name TEXT UNIQUE)")
        try connection.run("INSERT INTO u VALUES (?)", "a")
        let error = try #require(throws: SQLiteError.self) {
            try connection.run("INSERT INTO u VALUES (?)", "a")
        }
        #expect(error.isConstraintViolation)
        #expect(error.message == "UNIQUE constraint failed: u.name")
        #expect(error.sql == "INSERT INTO u VALUES (?)")
        #expect(error.description.contains("SQLite error 19"))
        #expect(error.description.contains("while running `INSERT INTO u VALUES (?)`"))
    }

    @Test("a transaction whose body throws leaves no trace")
    func transactionRollsBack() throws {
        struct Abort: Error {}
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        #expect(throws: Abort.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t (i) VALUES (1)")
                throw Abort()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.queryFirst("SELECT count(*) FROM t") { try $0.int(0) } == 0)
    }

    @Test("a failing savepoint undoes only its own changes; the enclosing transaction commits")
    func savepointRollsBackOnlyItself() throws {
        struct Abort: Error {}
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        try connection.transaction {
            try connection.run("INSERT INTO t (i) VALUES (1)")
            #expect(throws: Abort.self) {
                try connection.savepoint {
                    try connection.run("INSERT INTO t (i) VALUES (2)")
                    throw Abort()
                }
            }
            // A nested transaction becomes a savepoint.
            try connection.transaction {
                try connection.run("INSERT INTO t (i) VALUES (3)")
            }
        }
        let values = try connection.query("SELECT i FROM t ORDER BY i") { try $0.int(0) }
        #expect(values == [1, 3])
    }

    @Test("hot statements are prepared once, and nested use of the same SQL still works")
    func statementCache() throws {
        let scratch = try ScratchDirectory()
        let connection = try scratchConnection(scratch)
        for value in 1...10 {
            try connection.run("INSERT INTO t (i) VALUES (?)", value)
        }
        #expect(connection.cachedStatementCount == 1)
        let sql = "SELECT i FROM t WHERE i <= ? ORDER BY i"
        let pairs = try connection.query(sql, 2) { outer in
            let inner = try connection.query(sql, 2) { try $0.int(0) }
            return (try outer.int(0), inner)
        }
        #expect(pairs.map(\.0) == [1, 2])
        #expect(pairs.map(\.1) == [[1, 2], [1, 2]])
    }
}
