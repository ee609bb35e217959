/// Resumes the caller of a read or write once the transaction that ran its body has ended: with the
/// body's value after a successful COMMIT (`nil`), or with the error that prevented it.
typealias WorkDelivery = @Sendable ((any Error)?) -> Void

/// A unit of work queued for the database thread. The generic result type is erased into closures
/// so that writes of different types can share one queue and one group commit.
struct DatabaseWork: Sendable {
    enum Kind: Sendable {
        case read
        case write
    }

    let kind: Kind
    /// For writes: whether its group's COMMIT must be fsynced before the caller resumes.
    var durability: WriteDurability = .synced
    /// Runs the caller's body on the database thread and returns how to resume the caller once the
    /// enclosing transaction has ended; the caller is resumed exactly once, by this or by `fail`.
    let run: @Sendable (SQLiteConnection) throws -> WorkDelivery
    /// Resumes the caller with an error when `run` threw or its result could not be kept.
    let fail: @Sendable (any Error) -> Void
}

/// Why queued work did not run.
public enum DatabaseExecutorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The executor was closed before the work was submitted.
    case closed(path: String)
    /// SQLite abandoned the whole group transaction while running another caller's write (e.g. the
    /// disk filled up), so this write, although it succeeded on its own, was not committed.
    case groupRolledBack(path: String, cause: String)

    public var description: String {
        switch self {
        case .closed(let path):
            return "the database \(path) is closed; no more work is accepted"
        case .groupRolledBack(let path, let cause):
            return "the write to \(path) was rolled back because SQLite abandoned its group transaction: \(cause)"
        }
    }
}

/// Counters for observing group commit: with concurrent writers `commits` grows slower than `writes`.
public struct DatabaseExecutorStatistics: Sendable, Equatable {
    /// Writes whose body ran (successfully or not).
    public var writes: Int = 0
    /// Group transactions committed.
    public var commits: Int = 0
    /// Of those, committed without an fsync of their own (groups of `WriteDurability.deferredSync` writes only).
    public var unsyncedCommits: Int = 0
    /// Reads run.
    public var reads: Int = 0
}

/// When a write counts as done: after its COMMIT reached the disk, or once it is in the log, left for the next fsync.
public enum WriteDurability: Sendable, Equatable {
    /// The COMMIT is fsynced before the caller resumes: the change survives power loss. For everything a peer is
    /// told is safe (an ack, a receipt) and every decision.
    case synced
    /// The COMMIT is written to the log without an fsync of its own: the change survives the process being killed at
    /// once, and power loss once a later synced commit (or a checkpoint) has fsynced the log. For housekeeping whose
    /// loss to a power cut only means something is done again that the other side recognises as a repeat (forgetting
    /// an acknowledged frame, a line that arrived). A group with any synced write is fsynced whole.
    case deferredSync
}
