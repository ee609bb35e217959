import Logging
import Synchronization

/// Runs all database work on one dedicated thread that owns the connection.
///
/// SQLite calls block (disk writes, fsync, busy waits); running them on Swift's cooperative pool —
/// two threads on the target machines — would stall every other task. Async callers instead queue
/// closures here and are resumed when the work is done.
///
/// Writes are group-committed: while one COMMIT (and its fsync) is in progress, new writes queue up;
/// the thread then runs all of them, each in its own SAVEPOINT, and commits once. One fsync thus
/// serves many writers, and a write returns only after the COMMIT that contains it, so "returned"
/// means durable.
///
/// A second thread with a connection of its own answers ``readCommitted(_:)``: WAL lets it read while the
/// first thread commits, so a caller that only needs what is already durable never waits for someone else's
/// fsync.
public final class DatabaseExecutor: Sendable {
    private let queue: WorkQueue
    private let committedReads: WorkQueue
    /// The database file, for error messages.
    public let path: String

    /// Opens the database (creating, checking and migrating it, see
    /// `SQLiteConnection.openDatabase(at:migrations:logger:)`) on a new database thread, and waits for
    /// the outcome so that a refused file fails here, at startup.
    public init(path: String, migrations: [Migration], logger: Logger) throws {
        let queue = WorkQueue()
        let committedReads = WorkQueue()
        self.queue = queue
        self.committedReads = committedReads
        self.path = path
        try DatabaseThread.start {
            DatabaseExecutor.serve(path: path, migrations: migrations, queue: queue, logger: logger)
        }
        if case .failed(let error) = queue.waitForStartup() {
            committedReads.requestClose(waiter: nil)
            throw error
        }
        // Started once the file is checked and migrated, so this connection only ever opens a good database.
        do {
            try DatabaseThread.start {
                DatabaseExecutor.serveCommittedReads(path: path, queue: committedReads, logger: logger)
            }
        } catch {
            queue.requestClose(waiter: nil)
            throw error
        }
        if case .failed(let error) = committedReads.waitForStartup() {
            queue.requestClose(waiter: nil)
            throw error
        }
    }

    deinit {
        committedReads.requestClose(waiter: nil)
        queue.requestClose(waiter: nil)
    }

    /// Runs `body` on the database thread inside a transaction, grouped with other writes queued at
    /// the same time. Each write runs in its own SAVEPOINT: when `body` throws, only its own changes are
    /// undone and the error is thrown here, the rest of the group still commits. Returns after the
    /// group's COMMIT, so the changes are durable as `durability` says.
    public func write<T: Sendable>(
        durability: WriteDurability = .synced,
        _ body: @escaping @Sendable (SQLiteConnection) throws -> T
    ) async throws -> T {
        try await submitWrite(durability: durability, body).value()
    }

    /// Queues a write now and returns at once; its outcome is awaited with ``PendingWrite/value()``. The write
    /// keeps its place in the database's order from this moment, so a caller can let its next piece of work start
    /// (which may queue its own write, to be committed in the same group) while this one's commit and fsync run.
    public func submitWrite<T: Sendable>(
        durability: WriteDurability = .synced,
        _ body: @escaping @Sendable (SQLiteConnection) throws -> T
    ) -> PendingWrite<T> {
        let pending = PendingWrite<T>()
        let work = DatabaseWork(
            kind: .write,
            durability: durability,
            run: { connection in
                let value = try body(connection)
                return { commitError in
                    pending.finish(commitError.map { .failure($0) } ?? .success(value))
                }
            },
            fail: { pending.finish(.failure($0)) }
        )
        if !queue.submit(work) {
            pending.finish(.failure(DatabaseExecutorError.closed(path: path)))
        }
        return pending
    }

    /// Runs `body` on the database thread in a read transaction (a consistent snapshot). The connection
    /// is switched to `query_only` meanwhile, so a write slipped into a read fails loudly instead of
    /// bypassing group commit.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await read(body, on: queue)
    }

    /// Runs `body` in a read transaction on the committed-reads connection: it sees every write whose COMMIT
    /// finished before this call, none queued or committing at the time, and it does not wait for a commit in
    /// progress. For hot paths that must not pay another caller's fsync (a bridge's batch checking which of its ids
    /// were seen), where the caller accounts for its own writes still in flight.
    public func readCommitted<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await read(body, on: committedReads)
    }

    private func read<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws -> T,
        on queue: WorkQueue
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let work = DatabaseWork(
                kind: .read,
                run: { connection in
                    let value = try body(connection)
                    return { transactionError in
                        if let transactionError {
                            continuation.resume(throwing: transactionError)
                        } else {
                            continuation.resume(returning: value)
                        }
                    }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            if !queue.submit(work) {
                continuation.resume(throwing: DatabaseExecutorError.closed(path: path))
            }
        }
    }

    /// Finishes all queued work, closes the connections (the writer last, so it checkpoints the WAL) and ends the
    /// threads. Work submitted afterwards fails with `DatabaseExecutorError.closed`.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            committedReads.requestClose(waiter: continuation)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.requestClose(waiter: continuation)
        }
    }

    /// How many reads and writes are waiting for the database thread (a health signal: it should stay
    /// near zero).
    public var pendingWorkCount: Int { queue.pendingWorkCount }

    /// Counters showing how well writes are being grouped.
    public var statistics: DatabaseExecutorStatistics { queue.statistics }

    // MARK: The database thread

    private static func serve(path: String, migrations: [Migration], queue: WorkQueue, logger: Logger) {
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection.openDatabase(at: path, migrations: migrations, logger: logger)
        } catch {
            queue.reportStartup(.failed(error))
            return
        }
        queue.reportStartup(.ready)
        logger.debug("database opened", metadata: ["path": "\(path)"])

        var syncing = true  // openDatabase set synchronous = FULL
        while true {
            let batch = queue.nextBatch()
            if !batch.writes.isEmpty {
                runWriteGroup(batch.writes, on: connection, syncing: &syncing, queue: queue, logger: logger)
            }
            for read in batch.reads {
                runRead(read, on: connection, queue: queue, switchingToQueryOnly: true)
            }
            if batch.shouldClose { break }
        }
        close(connection, queue: queue, logger: logger)
    }

    /// The committed-reads thread: a connection that is query-only for its whole life, reading whatever the
    /// writer has committed.
    private static func serveCommittedReads(path: String, queue: WorkQueue, logger: Logger) {
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path)
            try connection.execute("PRAGMA query_only = ON")
        } catch {
            queue.reportStartup(.failed(error))
            return
        }
        queue.reportStartup(.ready)
        while true {
            let batch = queue.nextBatch()
            for work in batch.writes {
                work.fail(DatabaseExecutorError.closed(path: path))
            }
            for read in batch.reads {
                runRead(read, on: connection, queue: queue, switchingToQueryOnly: false)
            }
            if batch.shouldClose { break }
        }
        close(connection, queue: queue, logger: logger)
    }

    private static func close(_ connection: SQLiteConnection, queue: WorkQueue, logger: Logger) {
        do {
            try connection.close()
        } catch {
            logger.error("closing the database failed", metadata: ["path": "\(connection.path)", "error": "\(error)"])
        }
        logger.debug("database closed", metadata: ["path": "\(connection.path)"])
        for waiter in queue.finishClose() {
            waiter.resume()
        }
    }

    /// - Parameter syncing: whether the connection is at `synchronous = FULL` now (it is switched only when a group
    ///   needs the other setting).
    private static func runWriteGroup(
        _ writes: [DatabaseWork], on connection: SQLiteConnection, syncing: inout Bool, queue: WorkQueue, logger: Logger
    ) {
        // One synced write makes the whole group's COMMIT fsynced; a group of housekeeping alone skips the fsync.
        let synced = writes.contains { $0.durability == .synced }
        if synced != syncing {
            do {
                try connection.execute(synced ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                syncing = synced
            } catch where synced {
                // Committing now would not be durable: the callers are told, none is told its write is safe.
                logger.error("could not switch to synchronous commits", metadata: ["path": "\(connection.path)", "error": "\(error)"])
                for work in writes { work.fail(error) }
                return
            } catch {
                // Still synchronous: the housekeeping is fsynced like everything else.
                logger.warning("could not defer a write group's fsync", metadata: ["path": "\(connection.path)", "error": "\(error)"])
            }
        }
        var remaining = writes[...]
        while !remaining.isEmpty {
            do {
                try connection.execute("BEGIN IMMEDIATE")
            } catch {
                logger.error("could not begin a write transaction", metadata: ["path": "\(connection.path)", "error": "\(error)"])
                for work in remaining { work.fail(error) }
                return
            }
            var committable: [WorkDelivery] = []
            var abandoned = false
            while let work = remaining.popFirst() {
                queue.record { $0.writes += 1 }
                do {
                    committable.append(try connection.savepoint { try work.run(connection) })
                } catch {
                    work.fail(error)
                    if !connection.isInTransaction {
                        // SQLite rolled back the whole transaction: the earlier writes of this group
                        // are gone too. Tell their callers, and start a new group for the rest.
                        let lost = DatabaseExecutorError.groupRolledBack(path: connection.path, cause: "\(error)")
                        logger.error("a write group was rolled back", metadata: ["path": "\(connection.path)", "error": "\(error)"])
                        for delivery in committable { delivery(lost) }
                        committable.removeAll()
                        abandoned = true
                        break
                    }
                }
            }
            if abandoned { continue }
            do {
                try connection.execute("COMMIT")
                queue.record { statistics in
                    statistics.commits += 1
                    if !syncing { statistics.unsyncedCommits += 1 }
                }
                for delivery in committable { delivery(nil) }
            } catch {
                logger.error("committing a write group failed", metadata: ["path": "\(connection.path)", "error": "\(error)"])
                connection.rollbackIfOpen()
                for delivery in committable { delivery(error) }
            }
        }
    }

    private static func runRead(_ work: DatabaseWork, on connection: SQLiteConnection, queue: WorkQueue, switchingToQueryOnly: Bool) {
        queue.record { $0.reads += 1 }
        do {
            if switchingToQueryOnly { try connection.execute("PRAGMA query_only = ON") }
            defer { if switchingToQueryOnly { try? connection.execute("PRAGMA query_only = OFF") } }
            let delivery = try connection.transaction(.deferred) { try work.run(connection) }
            delivery(nil)
        } catch {
            work.fail(error)
        }
    }
}

/// A write queued with ``DatabaseExecutor/submitWrite(durability:_:)``: its result once the group containing it
/// committed. Any number of callers may await it (the one carrying out its effects, the one acknowledging it).
public final class PendingWrite<T: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<T, any Error>])
        case finished(Result<T, any Error>)
    }

    private let state = Mutex<State>(.waiting([]))

    init() {}

    /// The write's result, after the COMMIT that made it durable (or the error that undid it).
    public func value() async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let finished: Result<T, any Error>? = state.withLock { state in
                switch state {
                case .finished(let result):
                    return result
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                }
            }
            if let finished { continuation.resume(with: finished) }
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let waiters: [CheckedContinuation<T, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .finished(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}
