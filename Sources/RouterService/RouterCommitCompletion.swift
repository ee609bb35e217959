import Logging
import RefdeskStore
import ServiceLifecycle

/// Carries out, in order, what librarians' messages and bridges' frames ask for once their writes are durable, so
/// neither the XMPP connection's reading nor a bridge session's waits for each commit.
///
/// A librarian's message or a bridge's run of frames is decided in arrival order (the switchboard decides, its write
/// is queued in the database's order), and then the connection reads on while the database commits: many share one
/// fsync. Their effects — the receipt that tells the librarian the reply is safe, the outbox's wake-up, lines to
/// librarians — follow here, strictly in the order they were decided, whether or not the bridge that sent them is
/// still connected. At most `completionLimit` wait; past that, deciding more waits for the oldest to complete, which
/// brings reading back to the database's pace.
public struct RouterCommitCompletion: Service, CustomStringConvertible {
    let router: Router
    let completions: AsyncStream<Router.SubmittedCommit>

    public var description: String { "RouterCommitCompletion" }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                for await submitted in completions {
                    try await router.complete(submitted)
                }
            }
        } catch {
            await router.commitCompletionStopped()
            throw error
        }
        // Stopping (the router shuts down): what comes later is completed by whoever submits it.
        await router.commitCompletionStopped()
    }
}

extension Router {
    /// A write queued for a librarian's message, with the effects to carry out once it is durable.
    public struct SubmittedCommit: Sendable {
        let write: PendingWrite<Void>
        let changes: StoreChanges
    }

    /// The service that completes librarians' messages; the router hands it their commits from now on.
    public func makeCommitCompletion() -> RouterCommitCompletion {
        let (stream, continuation) = AsyncStream.makeStream(of: SubmittedCommit.self, bufferingPolicy: .unbounded)
        completions = continuation
        return RouterCommitCompletion(router: self, completions: stream)
    }

    /// Hands a submitted commit to the completion service (or, without one, completes it here), waiting first when
    /// `completionLimit` commits already wait.
    func handOver(_ write: PendingWrite<Void>, _ changes: StoreChanges) async {
        while completions != nil && completionsWaiting >= Self.completionLimit {
            await withCheckedContinuation { completionRoom.append($0) }
        }
        guard let completions else {
            try? await complete(write, changes)
            return
        }
        completionsWaiting += 1
        completions.yield(SubmittedCommit(write: write, changes: changes))
    }

    /// The completion service ended: later commits are completed where they are submitted, and those waiting for
    /// room go on.
    func commitCompletionStopped() {
        completions = nil
        for waiter in completionRoom { waiter.resume() }
        completionRoom.removeAll()
    }

    /// Completes one handed-over commit and makes room for the next.
    func complete(_ submitted: SubmittedCommit) async throws {
        defer {
            completionsWaiting -= 1
            if !completionRoom.isEmpty { completionRoom.removeFirst().resume() }
        }
        try await complete(submitted.write, submitted.changes)
    }

    /// How many decisions may wait for their commit before reading more waits too.
    static let completionLimit = 1_024
}
