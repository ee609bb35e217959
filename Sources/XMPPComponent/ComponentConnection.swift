import DaemonSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import XMPP

/// Where the XMPP server's component port is and who we are on it.
public struct ComponentConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The domain the component owns, e.g. `refdesk.example.org`.
    public var domain: String
    public var secret: String
    /// Stanzas kept while the server is unreachable; older ones are dropped past this (and logged).
    public var maximumQueuedStanzas = 10_000

    public init(host: String, port: Int, domain: String, secret: String) {
        self.host = host
        self.port = port
        self.domain = domain
        self.secret = secret
    }
}

/// What the component connection tells its owner.
public protocol ComponentDelegate: Sendable {
    /// The handshake succeeded; queued stanzas follow. A good moment to probe presence.
    func componentAuthenticated() async
    /// A stanza addressed to the component's domain.
    func componentReceived(_ stanza: IncomingStanza) async
    /// The connection ended (it will be retried); presence learned on it is no longer current.
    func componentDisconnected(reason: String) async
    /// These stanzas (by their `id`) are written to the server's socket: from here on only the server can lose
    /// them. Called after every batch that held stanzas with ids.
    func componentWrote(stanzaIDs: [String]) async
}

/// The router's XEP-0114 connection to its XMPP server: connects, authenticates, reads stanzas, writes queued ones,
/// and reconnects with capped exponential backoff when the server restarts or sends something malformed.
///
/// Stanzas sent while disconnected wait in a bounded queue and go out after the next handshake.
public struct ComponentConnection: Service, CustomStringConvertible {
    private let configuration: ComponentConfiguration
    private let delegate: any ComponentDelegate
    private let logger: Logger
    private let group: any EventLoopGroup
    private let outbox: StanzaQueue

    public init(
        configuration: ComponentConfiguration,
        delegate: any ComponentDelegate,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.delegate = delegate
        self.group = group
        self.logger = logger
        self.outbox = StanzaQueue(limit: configuration.maximumQueuedStanzas)
    }

    public var description: String { "ComponentConnection(\(configuration.domain) at \(configuration.host):\(configuration.port))" }

    /// Queues a stanza for the server; never blocks, never fails.
    public func send(_ element: XMLElement) {
        if outbox.push(element) {
            logger.warning("XMPP send queue full: oldest stanza dropped", metadata: ["limit": "\(configuration.maximumQueuedStanzas)"])
        }
    }

    public var isConnected: Bool { outbox.isConnected }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            while !Task.isCancelled {
                let reason = await connectOnce(resetting: &backoff)
                outbox.setConnected(false)
                guard !Task.isCancelled else { break }
                await delegate.componentDisconnected(reason: reason)
                let delay = backoff.next()
                logger.warning("XMPP component connection lost; reconnecting", metadata: ["reason": "\(reason)", "in": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { break }
            }
        }
        outbox.finish()
    }

    private func connectOnce(resetting backoff: inout Backoff) async -> String {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            return "cannot connect to \(configuration.host):\(configuration.port): \(error)"
        }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var session = ComponentSession(componentDomain: configuration.domain, secret: configuration.secret)
                var parser = XMPPStreamParser()
                for action in session.handle(.connected) { try await perform(action, outbound) }
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    defer { group.cancelAll() }
                    for try await var chunk in inbound {
                        let bytes = chunk.readBytes(length: chunk.readableBytes) ?? []
                        let actions: [ComponentSession.Action]
                        switch Result(catching: { () throws(XMPPStreamError) in try parser.feed(bytes) }) {
                        case .success(let events): actions = session.handle(events: events)
                        case .failure(let error): actions = session.handle(.parseFailed(error))
                        }
                        for action in actions {
                            switch action {
                            case .send(let bytes):
                                try await outbound.write(ByteBuffer(bytes: bytes))
                            case .authenticated:
                                backoff.reset()
                                logger.info("XMPP component connected", metadata: ["domain": "\(configuration.domain)"])
                                outbox.setConnected(true)
                                group.addTask { try await writeQueued(outbound) }
                                await delegate.componentAuthenticated()
                            case .stanzaReceived(let element):
                                await deliver(element)
                            case .failed(let failure):
                                return "\(failure)"
                            }
                        }
                    }
                    return "the XMPP server closed the connection"
                }
            }
        } catch {
            return "connection failed: \(error)"
        }
    }

    private func perform(_ action: ComponentSession.Action, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        if case .send(let bytes) = action { try await outbound.write(ByteBuffer(bytes: bytes)) }
    }

    private func deliver(_ element: XMLElement) async {
        do {
            await delegate.componentReceived(try IncomingStanza(element: element))
        } catch {
            logger.notice("malformed stanza dropped", metadata: ["reason": "\(error)", "element": "\(element.name)"])
        }
    }

    /// Writes queued stanzas until the connection ends; a stanza whose write failed goes back to the front.
    private func writeQueued(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        while let batch = await outbox.next() {
            var buffer = ByteBuffer()
            for element in batch { buffer.writeBytes(element.streamBytes) }
            do {
                try await outbound.write(buffer)
            } catch {
                outbox.requeue(batch)
                throw error
            }
            let ids = batch.compactMap { $0[attribute: "id"] }
            if !ids.isEmpty { await delegate.componentWrote(stanzaIDs: ids) }
        }
    }
}

/// A bounded FIFO of stanzas with one waiting reader, shared by the senders and the connection's writer.
final class StanzaQueue: Sendable {
    private struct State {
        var items: [XMLElement] = []
        var connected = false
        var finished = false
        var waiter: CheckedContinuation<[XMLElement]?, Never>?
    }

    private let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int) { self.limit = limit }

    var isConnected: Bool { state.withLockedValue { $0.connected } }

    /// Appends; returns true when the oldest stanza had to be dropped.
    func push(_ element: XMLElement) -> Bool {
        var dropped = false
        let resume: (CheckedContinuation<[XMLElement]?, Never>, [XMLElement])? = state.withLockedValue { state in
            state.items.append(element)
            if state.items.count > limit {
                state.items.removeFirst()
                dropped = true
            }
            guard state.connected, let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.items.removeAll() }
            return (waiter, state.items)
        }
        if let (waiter, items) = resume { waiter.resume(returning: items) }
        return dropped
    }

    func requeue(_ elements: [XMLElement]) {
        state.withLockedValue { $0.items.insert(contentsOf: elements, at: 0) }
    }

    func setConnected(_ connected: Bool) {
        let waiter: CheckedContinuation<[XMLElement]?, Never>? = state.withLockedValue { state in
            state.connected = connected
            guard !connected else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    func finish() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<[XMLElement]?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next batch of stanzas; nil once disconnected or finished.
    func next() async -> [XMLElement]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[XMLElement]?, Never>) in
                let immediate: [XMLElement]?? = state.withLockedValue { state in
                    if state.finished || !state.connected || Task.isCancelled { return .some(nil) }
                    if !state.items.isEmpty {
                        defer { state.items.removeAll() }
                        return .some(state.items)
                    }
                    state.waiter = continuation
                    return .none
                }
                if case .some(let value) = immediate { continuation.resume(returning: value) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<[XMLElement]?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
