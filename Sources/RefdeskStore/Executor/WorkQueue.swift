import Synchronization

/// The queue between async callers and the database thread.
///
/// The state lives in a `Mutex`; `condition` only puts the database thread to sleep while the queue is
/// empty. Every change the thread waits for is made while holding `condition`'s lock, so a wake-up
/// cannot be lost between the thread's check and its wait.
final class WorkQueue: Sendable {
    enum Startup: Sendable {
        case pending
        case ready
        case failed(any Error)
    }

    struct State: ~Copyable {
        var startup: Startup = .pending
        var work: [DatabaseWork] = []
        var closeRequested = false
        var isClosed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var statistics = DatabaseExecutorStatistics()
    }

    /// What the database thread takes in one go.
    struct Batch {
        var writes: [DatabaseWork] = []
        var reads: [DatabaseWork] = []
        var shouldClose = false
    }

    private let state = Mutex(State())
    private let condition = ConditionLock()

    private func signalling<T>(_ body: (inout State) -> T) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return state.withLock { body(&$0) }
    }

    // MARK: Callers

    /// Queues `work`; returns `false` when the executor is closing and the work will never run.
    func submit(_ work: DatabaseWork) -> Bool {
        signalling { state in
            guard !state.closeRequested else { return false }
            state.work.append(work)
            return true
        }
    }

    /// Asks the thread to finish queued work and close; `waiter` (if any) resumes once it has.
    func requestClose(waiter: CheckedContinuation<Void, Never>?) {
        let resumeNow = signalling { state -> Bool in
            state.closeRequested = true
            if state.isClosed { return true }
            if let waiter { state.closeWaiters.append(waiter) }
            return false
        }
        if resumeNow { waiter?.resume() }
    }

    /// Blocks the calling (non-async) thread until the database thread reported how opening went.
    func waitForStartup() -> Startup {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let startup = state.withLock { $0.startup }
            if case .pending = startup {
                condition.wait()
            } else {
                return startup
            }
        }
    }

    var pendingWorkCount: Int { state.withLock { $0.work.count } }

    var statistics: DatabaseExecutorStatistics { state.withLock { $0.statistics } }

    // MARK: Database thread

    func reportStartup(_ startup: Startup) {
        signalling { state in
            state.startup = startup
            if case .failed = startup {
                state.closeRequested = true
                state.isClosed = true
            }
        }
    }

    /// Sleeps until there is work or a close request, then takes all queued work at once: everything
    /// that queued up during the previous commit becomes the next group.
    func nextBatch() -> Batch {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let batch = state.withLock { state -> Batch? in
                guard !state.work.isEmpty || state.closeRequested else { return nil }
                var batch = Batch()
                for work in state.work {
                    switch work.kind {
                    case .read: batch.reads.append(work)
                    case .write: batch.writes.append(work)
                    }
                }
                batch.shouldClose = state.closeRequested && state.work.isEmpty
                state.work.removeAll()
                return batch
            }
            if let batch { return batch }
            condition.wait()
        }
    }

    func record(_ update: (inout DatabaseExecutorStatistics) -> Void) {
        state.withLock { update(&$0.statistics) }
    }

    /// Marks the executor closed and returns the callers waiting for that.
    func finishClose() -> [CheckedContinuation<Void, Never>] {
        signalling { state in
            state.isClosed = true
            let waiters = state.closeWaiters
            state.closeWaiters.removeAll()
            return waiters
        }
    }
}
