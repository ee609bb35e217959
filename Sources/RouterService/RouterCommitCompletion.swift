import Logging
import RefdeskStore
import ServiceLifecycle

/// Carries out, in order, what librarians' messages ask for once their writes are durable, so the XMPP connection's
/// reading does not wait for each message's commit.
///
/// A librarian's message is handled in arrival order (the switchboard decides, its write is queued in the
/// database's order), and then the connection reads the next one while the database commits: many messages share
/// one fsync. Their effects — the receipt that tells the librarian the reply is safe, the outbox's wake-up, lines to
/// librarians — follow here, strictly in the order the messages came. At most `limit` wait; past that, handling a
/// new message waits for the oldest to complete, which brings the connection's reading back to the database's pace.
public struct RouterCommitCompletion: Service, CustomStringConvertible {
    let router: Router
    let completions: AsyncStream<Router.SubmittedCommit>

    public var description: String { "RouterCommitCompletion" }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            for await submitted in completions {
                try await router.complete(submitted)
            }
        }
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
        guard let completions else {
            try? await complete(write, changes)
            return
        }
        while completionsWaiting >= Self.completionLimit {
            await withCheckedContinuation { completionRoom.append($0) }
        }
        completionsWaiting += 1
        completions.yield(SubmittedCommit(write: write, changes: changes))
    }

    /// Completes one handed-over commit and makes room for the next.
    func complete(_ submitted: SubmittedCommit) async throws {
        defer {
            completionsWaiting -= 1
            if !completionRoom.isEmpty { completionRoom.removeFirst().resume() }
        }
        try await complete(submitted.write, submitted.changes)
    }

    /// How many librarians' messages may wait for their commit before reading more waits too.
    static let completionLimit = 1_024
}
