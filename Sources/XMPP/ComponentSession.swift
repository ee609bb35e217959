/// The XEP-0114 component session as a pure state machine: inputs in, actions out, no I/O.
///
/// The I/O layer connects, feeds received bytes through an `XMPPStreamParser`, passes every
/// event (or the parser's error) here, and carries out the returned actions in order. Keeping
/// the protocol here means the handshake and every failure path are tested without a socket.
///
/// ```
/// idle ──connected──▶ awaitingStreamHeader ──stream header with id──▶ awaitingHandshakeReply
///      ──<handshake/>──▶ authenticated ──stanzas──▶ …
/// any state ──<stream:error>, close, bad XML, disconnect──▶ failed
/// ```
public struct ComponentSession: Sendable, CustomStringConvertible {
    public enum State: Sendable, Hashable {
        case idle
        /// The component's stream header is sent; waiting for the server's, which carries the id.
        case awaitingStreamHeader
        /// The handshake hash is sent; waiting for an empty `<handshake/>` in return.
        case awaitingHandshakeReply(streamID: String)
        case authenticated(streamID: String)
        case failed(ComponentFailure)
    }

    public enum Input: Sendable, Hashable {
        /// A new TCP connection to the server is up (also the way to start over after a failure).
        case connected
        /// Something the stream parser reported.
        case streamEvent(XMPPStreamEvent)
        /// The stream parser refused the server's bytes.
        case parseFailed(XMPPStreamError)
        /// The connection went away.
        case disconnected
    }

    public enum Action: Sendable, Hashable {
        /// Write these bytes to the connection.
        case send([UInt8])
        /// The server accepted the handshake; stanzas may now be sent.
        case authenticated(streamID: String)
        /// A stanza from the server, for the router.
        case stanzaReceived(XMLElement)
        /// The session is over; close the connection and reconnect later.
        case failed(ComponentFailure)
    }

    /// The domain the component serves, e.g. `refdesk.example.org`.
    public let componentDomain: String
    private let secret: String
    public private(set) var state: State = .idle

    public init(componentDomain: String, secret: String) {
        self.componentDomain = componentDomain
        self.secret = secret
    }

    /// Whether stanzas may be sent now.
    public var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// Omits the shared secret, so logging a session cannot leak it.
    public var description: String {
        "ComponentSession(componentDomain: \(componentDomain), state: \(state))"
    }

    public mutating func handle(_ input: Input) -> [Action] {
        switch (input, state) {
        case (.connected, _):
            state = .awaitingStreamHeader
            return [.send(Array(ComponentHandshake.streamHeader(componentDomain: componentDomain).utf8))]

        case (_, .failed), (_, .idle):
            return []

        case (.disconnected, _):
            return fail(.disconnected, closeStream: false)

        case (.parseFailed(let error), _):
            let notice = StreamError(condition: error.streamErrorCondition, text: error.description)
            return [.send(notice.element.streamBytes)] + fail(.malformedStream(error), closeStream: true)

        case (.streamEvent(let event), .awaitingStreamHeader):
            return streamHeaderArrived(event)

        case (.streamEvent(let event), .awaitingHandshakeReply(let streamID)):
            return handshakeReplyArrived(event, streamID: streamID)

        case (.streamEvent(let event), .authenticated):
            return eventWhileAuthenticated(event)
        }
    }

    /// Convenience for a batch of parser events; stops at the first failure.
    public mutating func handle(events: [XMPPStreamEvent]) -> [Action] {
        var actions: [Action] = []
        for event in events {
            actions += handle(.streamEvent(event))
            if case .failed = state { break }
        }
        return actions
    }

    // MARK: - Per-state handling

    private mutating func streamHeaderArrived(_ event: XMPPStreamEvent) -> [Action] {
        switch event {
        case .streamOpened(let attributes):
            guard let streamID = attributes["id"], !streamID.isEmpty else {
                return fail(.missingStreamID, closeStream: true)
            }
            guard let hash = ComponentHandshake.hash(streamID: streamID, secret: secret) else {
                return fail(.hashUnavailable, closeStream: true)
            }
            state = .awaitingHandshakeReply(streamID: streamID)
            return [.send(ComponentHandshake.handshakeElement(hash: hash).streamBytes)]
        case .stanza(let element):
            return failOnStanza(element, expected: "the server's stream header")
        case .streamClosed:
            return fail(.streamClosedByServer, closeStream: true)
        }
    }

    private mutating func handshakeReplyArrived(_ event: XMPPStreamEvent, streamID: String) -> [Action] {
        switch event {
        case .stanza(let element) where element.name == "handshake" && element.namespace == XMPPNamespace.component:
            state = .authenticated(streamID: streamID)
            return [.authenticated(streamID: streamID)]
        case .stanza(let element):
            return failOnStanza(element, expected: "<handshake/>")
        case .streamOpened:
            return fail(.protocolViolation("a second stream header arrived while awaiting <handshake/>"), closeStream: true)
        case .streamClosed:
            return fail(.streamClosedByServer, closeStream: true)
        }
    }

    private mutating func eventWhileAuthenticated(_ event: XMPPStreamEvent) -> [Action] {
        switch event {
        case .stanza(let element):
            if let error = StreamError(element: element) {
                return fail(.streamError(error), closeStream: true)
            }
            return [.stanzaReceived(element)]
        case .streamOpened:
            return fail(.protocolViolation("a second stream header arrived on an authenticated stream"), closeStream: true)
        case .streamClosed:
            return fail(.streamClosedByServer, closeStream: true)
        }
    }

    private mutating func failOnStanza(_ element: XMLElement, expected: String) -> [Action] {
        if let error = StreamError(element: element) {
            return fail(.streamError(error), closeStream: true)
        }
        return fail(.protocolViolation("received <\(element.name)> while awaiting \(expected)"), closeStream: true)
    }

    /// Enters `failed`; closes the component's own stream first when the connection is still usable.
    private mutating func fail(_ failure: ComponentFailure, closeStream: Bool) -> [Action] {
        state = .failed(failure)
        let close: [Action] = closeStream ? [.send(Array(ComponentHandshake.streamFooter.utf8))] : []
        return close + [.failed(failure)]
    }
}

/// Why a component session ended.
public enum ComponentFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server sent `<stream:error>`: `not-authorized` (wrong secret), `conflict` (another
    /// component took the domain), `host-unknown` (domain not configured), …
    case streamError(StreamError)
    /// The server's bytes were not acceptable XMPP XML.
    case malformedStream(XMPPStreamError)
    /// The server's stream header had no `id`, so there is nothing to hash.
    case missingStreamID
    /// SHA-1 was unavailable from libcrypto.
    case hashUnavailable
    /// The server closed its stream without an error.
    case streamClosedByServer
    /// The connection dropped.
    case disconnected
    /// The server sent something out of order.
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .streamError(let error): return "server stream error: \(error)"
        case .malformedStream(let error): return "malformed stream from server: \(error)"
        case .missingStreamID: return "server stream header has no id attribute"
        case .hashUnavailable: return "SHA-1 is unavailable from libcrypto; cannot compute the handshake"
        case .streamClosedByServer: return "server closed the stream"
        case .disconnected: return "connection lost"
        case .protocolViolation(let reason): return "protocol violation: \(reason)"
        }
    }
}
