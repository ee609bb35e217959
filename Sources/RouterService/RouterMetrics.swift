import RefdeskCore
import RefdeskStore

/// What the router's `/metrics` endpoint reads at scrape time: the state a dashboard graphs and alerts on.
public struct RouterObservedState: Sendable, Equatable {
    /// Each configured queue and whether gateways see it online (after the settle time).
    public var queueOnline: [String: Bool]
    /// Offline inbox messages waiting for a librarian, by queue.
    public var offlineInboxDepth: [String: Int]
    /// Replies not yet acknowledged by a bridge, by protocol (grows while a bridge is down).
    public var outboxDepth: [String: Int]
}

extension Router {
    /// Reads queue presence from the rules state and the waiting work from the database.
    public func observedState() async throws -> RouterObservedState {
        let queues = switchboard.configuration.queues.map(\.name)
        var online: [String: Bool] = [:]
        for queue in queues {
            online[queue.rawValue] = switchboard.isOnline(queue)
        }
        let depths = try await database.read { connection in
            (
                inbox: try connection.query("SELECT queue, count(*) FROM offline_inbox GROUP BY queue") { (try $0.string(0), try $0.int(1)) },
                outbox: try connection.query("SELECT protocol, count(*) FROM outbox GROUP BY protocol") { (try $0.string(0), try $0.int(1)) }
            )
        }
        var inbox = Dictionary(depths.inbox, uniquingKeysWith: +)
        for queue in queues where inbox[queue.rawValue] == nil {
            inbox[queue.rawValue] = 0
        }
        return RouterObservedState(queueOnline: online, offlineInboxDepth: inbox, outboxDepth: Dictionary(depths.outbox, uniquingKeysWith: +))
    }

    /// Returns as soon as the actor runs it: the watchdog's proof that the router's main loop is not wedged.
    public func isResponsive() -> Bool {
        true
    }
}
