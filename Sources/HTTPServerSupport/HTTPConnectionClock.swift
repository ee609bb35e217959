import NIOCore

/// How long an HTTP client may take, at each point of a connection.
///
/// The defaults are chosen for refdesk's listeners, whose real clients (a browser, `refdeskctl`, Twilio behind the
/// site's reverse proxy, a Prometheus scraper) send a whole request — at most a 64 KiB body — in well under a second.
public struct HTTPServerTimeouts: Sendable, Equatable {
    /// A whole request, head and body: counted from its first byte, and for a connection's first request from the
    /// moment the connection was accepted (so the TLS handshake is inside it).
    ///
    /// 5 s is many times what an honest client needs, yet a client that stalls (slowloris) holds a socket for at most
    /// 5 s, so keeping a listener's file descriptors busy needs a new connection per descriptor every 5 s.
    public var request: TimeAmount
    /// A keep-alive connection between two requests. 30 s keeps a page's or a script's burst of requests on one
    /// connection while letting go of sockets nobody uses; a client finding its idle connection closed opens a new one.
    public var idle: TimeAmount
    /// After a refusal (413) the connection reads and drops what the client still sends, and closes once the
    /// client has been quiet this long: closing while it is still sending its body would reset the connection and
    /// lose the answer. 2 s is far longer than any pause of a client that is sending. The same bound applies to
    /// writing the 408 answer: a client that reads nothing cannot hold the socket longer than this.
    public var linger: TimeAmount
    /// However much a refused client goes on sending, its connection is closed this long after the refusal. 30 s
    /// lets an honest client on a slow link finish sending a few megabytes (and then read why they were refused).
    public var maximumLinger: TimeAmount

    public init(
        request: TimeAmount = .seconds(5), idle: TimeAmount = .seconds(30), linger: TimeAmount = .seconds(2),
        maximumLinger: TimeAmount = .seconds(30)
    ) {
        self.request = request
        self.idle = idle
        self.linger = linger
        self.maximumLinger = maximumLinger
    }
}

/// The time limits of one HTTP server connection, as a state machine that says what to do (no I/O, no clock of
/// its own: every input carries the time).
///
/// A connection is always in one phase:
/// - **waiting** for a request, nothing of it read yet: when the limit passes the connection is closed without an
///   answer, as there is no request to answer;
/// - **reading** a request, part of it read: when the limit passes the client is answered 408 and the connection
///   closed;
/// - **handling**: the whole request is with the server, which takes as long as it takes (its work is not the
///   client's fault), and input that arrives meanwhile waits;
/// - **draining** after a refused request (413): input is dropped until the client has been quiet for the linger
///   time (or the longest linger has passed), then the connection is closed;
/// - **closing** after the 408 answer: input is dropped, and the connection is closed when the answer is written
///   or the linger time passes, whichever is first.
public struct HTTPConnectionClock: Sendable, Equatable {
    /// What the connection's handler does next.
    public enum Action: Sendable, Equatable {
        case none
        /// (Re)arm the one timer for this deadline; ``timerFired(at:)`` is the input when it passes.
        case schedule(NIODeadline)
        /// Disarm the timer.
        case cancel
        /// Close the connection now, without an answer.
        case close
        /// Write the 408 answer and close once it is written; arm the timer for the deadline, by which the
        /// connection is closed even if the answer could not be written.
        case answerTimeout(closeBy: NIODeadline)
    }

    enum Phase: Sendable, Equatable {
        case notStarted
        /// `first`: the connection's first request, whose limit counts from the connection's start.
        case waiting(closeAt: NIODeadline, first: Bool)
        case reading(answerBy: NIODeadline)
        case handling
        case draining(quietSince: NIODeadline, stopBy: NIODeadline)
        case closing(closeAt: NIODeadline)
        case closed
    }

    public let timeouts: HTTPServerTimeouts
    private(set) var phase = Phase.notStarted

    public init(timeouts: HTTPServerTimeouts) {
        self.timeouts = timeouts
    }

    /// Whether input is to be dropped rather than decoded: after a refusal or a timeout the connection only waits
    /// to close.
    public var dropsInput: Bool {
        switch phase {
        case .draining, .closing, .closed: true
        case .notStarted, .waiting, .reading, .handling: false
        }
    }

    /// Whether the connection is draining after a refusal, when a close asked for by the server is put off until
    /// the linger time has passed.
    public var isDraining: Bool {
        if case .draining = phase { return true }
        return false
    }

    /// The connection was accepted (or became active): the first request's limit starts now.
    public mutating func connectionStarted(at now: NIODeadline) -> Action {
        guard case .notStarted = phase else { return .none }
        let deadline = now + timeouts.request
        phase = .waiting(closeAt: deadline, first: true)
        return .schedule(deadline)
    }

    /// Bytes of a request arrived (or its head was decoded from bytes that had arrived earlier).
    public mutating func bytesReceived(at now: NIODeadline) -> Action {
        if case .draining(_, let stopBy) = phase {
            // The timer is not moved for each read: when it goes off it finds the later deadline and is armed again.
            phase = .draining(quietSince: now, stopBy: stopBy)
            return .none
        }
        guard case .waiting(let closeAt, let first) = phase else { return .none }
        if first {
            // The first request's limit already runs from the connection's start.
            phase = .reading(answerBy: closeAt)
            return .none
        }
        let deadline = now + timeouts.request
        phase = .reading(answerBy: deadline)
        return .schedule(deadline)
    }

    /// The whole request (or the head of one refused for its size) went to the server.
    public mutating func requestReceived() -> Action {
        switch phase {
        case .waiting, .reading:
            phase = .handling
            return .cancel
        case .notStarted, .handling, .draining, .closing, .closed:
            return .none
        }
    }

    /// The server finished its answer. `refused`: it answered a request refused for its size, after which the
    /// connection drains and closes rather than read another request.
    public mutating func responseSent(at now: NIODeadline, refused: Bool) -> Action {
        guard case .handling = phase else { return .none }
        if refused {
            phase = .draining(quietSince: now, stopBy: now + timeouts.maximumLinger)
            return .schedule(now + timeouts.linger)
        }
        let deadline = now + timeouts.idle
        phase = .waiting(closeAt: deadline, first: false)
        return .schedule(deadline)
    }

    /// The timer armed by the last ``Action/schedule(_:)`` or ``Action/answerTimeout(closeBy:)`` went off.
    public mutating func timerFired(at now: NIODeadline) -> Action {
        switch phase {
        case .waiting(let closeAt, _):
            guard now >= closeAt else { return .schedule(closeAt) }
            phase = .closed
            return .close
        case .reading(let answerBy):
            guard now >= answerBy else { return .schedule(answerBy) }
            let deadline = now + timeouts.linger
            phase = .closing(closeAt: deadline)
            return .answerTimeout(closeBy: deadline)
        case .draining(let quietSince, let stopBy):
            let closeAt = min(quietSince + timeouts.linger, stopBy)
            guard now >= closeAt else { return .schedule(closeAt) }
            phase = .closed
            return .close
        case .closing(let closeAt):
            guard now >= closeAt else { return .schedule(closeAt) }
            phase = .closed
            return .close
        case .notStarted, .handling, .closed:
            return .none
        }
    }

    /// The connection is gone.
    public mutating func connectionClosed() -> Action {
        guard phase != .closed else { return .none }
        phase = .closed
        return .cancel
    }
}
