/// Limits for recognising two automata answering each other.
public struct PingPongPolicy: Hashable, Sendable, Codable {
    /// More turns than this inside `window` is a loop. A turn is a message from the other side than the one
    /// before it: two programs answering each other take a turn with every message, while a librarian pasting a
    /// long answer in 50 quick lines takes one.
    public var maximumTurns: Int
    public var window: Duration
    /// How long the patron's further messages are dropped after a cut-off, so the loop
    /// cannot restart as a new conversation straight away.
    public var cooldown: Duration

    public init(maximumTurns: Int = 10, window: Duration = .seconds(10), cooldown: Duration = .seconds(300)) {
        self.maximumTurns = maximumTurns
        self.window = window
        self.cooldown = cooldown
    }
}

/// Spots conversations whose rate looks like ping-pong between two programs (say an
/// auto-responder on each end), which no human pair of patron and librarian produces.
///
/// It counts messages per conversation in a sliding window; the history is transient and
/// deliberately not part of a snapshot.
public struct PingPongDetector: Sendable {
    /// Who sent a message.
    public enum Side: Hashable, Sendable {
        case patron
        case `operator`
    }

    public var policy: PingPongPolicy
    private var history: [ConversationID: [(at: Timestamp, side: Side)]] = [:]

    public init(policy: PingPongPolicy = .init()) {
        self.policy = policy
    }

    /// Records one message and answers whether the conversation must now be cut off: more
    /// than `maximumTurns` changes of side inside the window.
    public mutating func record(_ side: Side, in conversation: ConversationID, at time: Timestamp) -> Bool {
        let horizon = time - policy.window
        var recent = history[conversation, default: []].filter { $0.at > horizon }
        recent.append((time, side))
        history[conversation] = recent
        let turns = zip(recent, recent.dropFirst()).filter { $0.side != $1.side }.count
        return turns > policy.maximumTurns
    }

    /// Drops the history of a conversation that has ended.
    public mutating func forget(_ conversation: ConversationID) {
        history[conversation] = nil
    }

    /// Drops windows that have fully expired, so quiet conversations cost nothing.
    public mutating func prune(at time: Timestamp) {
        let horizon = time - policy.window
        history = history.filter { $0.value.contains { $0.at > horizon } }
    }
}
