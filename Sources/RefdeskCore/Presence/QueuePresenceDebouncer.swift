/// Turns the instantaneous "is anyone routable" of each queue into a reported state that
/// changes only after the new state has held for `settleTime`.
///
/// Gateways follow the reported state (an AIM screen name signs on and off with it), so a
/// librarian's quick away-and-back must not make the library's screen name flap.
public struct QueuePresenceDebouncer: Sendable {
    public var settleTime: Duration
    /// The last state reported per queue; a queue never reported is offline.
    public private(set) var reported: [QueueName: Bool]
    /// Since when the actual state has differed from the reported one.
    private var differingSince: [QueueName: Timestamp] = [:]

    public init(settleTime: Duration = .seconds(2), reported: [QueueName: Bool] = [:]) {
        self.settleTime = settleTime
        self.reported = reported
    }

    public func isReportedOnline(_ queue: QueueName) -> Bool {
        reported[queue] ?? false
    }

    /// Notes the queue's actual state at `time`. A state that returns to the reported one
    /// cancels the pending change.
    public mutating func observe(_ queue: QueueName, online: Bool, at time: Timestamp) {
        if online == isReportedOnline(queue) {
            differingSince[queue] = nil
        } else if differingSince[queue] == nil {
            differingSince[queue] = time
        }
    }

    /// Decides at a tick: returns the new reported state when the differing state has held
    /// for the settle time, `nil` when nothing changes.
    public mutating func settle(_ queue: QueueName, at time: Timestamp) -> Bool? {
        guard let since = differingSince[queue], time - since >= settleTime else { return nil }
        let online = !isReportedOnline(queue)
        reported[queue] = online
        differingSince[queue] = nil
        return online
    }

    /// Forgets a queue that no longer exists.
    public mutating func remove(_ queue: QueueName) {
        reported[queue] = nil
        differingSince[queue] = nil
    }
}
