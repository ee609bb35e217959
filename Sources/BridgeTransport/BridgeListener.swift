#if canImport(Glibc)
import Glibc
#endif
import BridgeProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import NIOConcurrencyHelpers

/// Where and how the router listens for bridges.
public struct BridgeListenerConfiguration: Sendable {
    /// The socket file, e.g. `/run/refdesk/router.sock`.
    public var socketPath: String
    /// The socket file's mode; 0660 lets the router's group in and nobody else.
    public var socketMode: UInt32 = 0o660
    /// A socket already bound and listening (systemd socket activation); `socketPath` is then only for logs.
    public var inheritedDescriptor: Int32?
    public var peerPolicy: PeerPolicy
    public var session = BridgeSessionConfiguration()

    public init(socketPath: String, peerPolicy: PeerPolicy) {
        self.socketPath = socketPath
        self.peerPolicy = peerPolicy
    }
}

/// The router's side of a handshake: who may connect, and what they get.
public protocol BridgeAcceptor: Sendable {
    /// A permitted peer said hello. Returns the delegate that will serve its session, or a refusal.
    func accept(protocolName: String, instance: String, peer: PeerCredentials) async -> BridgeAcceptance
    /// The session is about to start: register it (for control frames and outbox wake-ups) and return the
    /// gateways to put in `welcome`. Registration and the snapshot happen together so no change falls between them.
    func sessionStarted(_ session: BridgeSession, protocolName: String) async throws -> [GatewayDescriptor]
    /// The session ended (it is no longer usable).
    func sessionEnded(_ session: BridgeSession, protocolName: String, reason: BridgeSessionEnd) async
}

public enum BridgeAcceptance: Sendable {
    case proceed(any BridgeSessionDelegate)
    case refuse(GoodbyeCode, reason: String)
}

public enum BridgeListenerError: Error, CustomStringConvertible {
    case cannotSetMode(path: String, errno: Int32)
    case missingDirectory(String)

    public var description: String {
        switch self {
        case .cannotSetMode(let path, let code): "cannot set the mode of \(path): \(String(cString: strerror(code)))"
        case .missingDirectory(let path): "the directory for the bridge socket \(path) does not exist"
        }
    }
}

/// Accepts bridge connections on a Unix socket, checks each peer's credentials, runs the handshake and then a
/// `BridgeSession` per connection. A bad connection is closed with a logged reason; the listener carries on.
public struct BridgeListener: Service {
    private let configuration: BridgeListenerConfiguration
    private let acceptor: any BridgeAcceptor
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable () -> Void
    private let activeSessions = ActiveSessions()

    public init(
        configuration: BridgeListenerConfiguration,
        acceptor: any BridgeAcceptor,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        onListening: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = configuration
        self.acceptor = acceptor
        self.group = group
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let server = try await bind()
        logger.info("listening for bridges", metadata: ["socket": "\(configuration.socketPath)"])
        onListening()
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await self.serve(connection) }
                        }
                    } catch {
                        logger.debug("bridge listener stopped accepting", metadata: ["reason": "\(error)"])
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            server.channel.close(promise: nil)
            activeSessions.closeAll(.shuttingDown, reason: "the router is stopping")
        }
        if configuration.inheritedDescriptor == nil { _ = unlink(configuration.socketPath) }
    }

    /// A connection with its peer's credentials, read before the channel is active: a peer that sends and
    /// shuts down at once would otherwise be closed (and its descriptor gone) before we could ask who it was.
    private struct Accepted: Sendable {
        var peer: Result<PeerCredentials, any Error>
        var connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    }

    private func bind() async throws -> NIOAsyncChannel<Accepted, Never> {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Accepted> = { channel in
            PeerCredentials.future(of: channel)
                .map { Result<PeerCredentials, any Error>.success($0) }
                .recover { .failure($0) }
                .flatMapThrowing { peer in
                    Accepted(peer: peer, connection: try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel))
                }
        }
        if let descriptor = configuration.inheritedDescriptor {
            return try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
        }
        if let slash = configuration.socketPath.lastIndex(of: "/"), case let directory = String(configuration.socketPath[..<slash]),
            !directory.isEmpty, access(directory, F_OK) != 0
        {
            throw BridgeListenerError.missingDirectory(directory)
        }
        // Create the socket file with its final mode: no window in which it is wider than configured.
        let previousMask = umask(mode_t(~configuration.socketMode & 0o777))
        defer { umask(previousMask) }
        let server = try await bootstrap.bind(
            unixDomainSocketPath: configuration.socketPath,
            cleanupExistingSocketFile: true,
            childChannelInitializer: initializer
        )
        if chmod(configuration.socketPath, mode_t(configuration.socketMode)) != 0 {
            let code = errno
            server.channel.close(promise: nil)
            throw BridgeListenerError.cannotSetMode(path: configuration.socketPath, errno: code)
        }
        return server
    }

    private func serve(_ accepted: Accepted) async {
        var logger = self.logger
        let connection = accepted.connection
        let peer: PeerCredentials
        do {
            peer = try accepted.peer.get()
        } catch {
            logger.warning("bridge connection refused: cannot read peer credentials", metadata: ["error": "\(error)"])
            try? await connection.channel.close()
            return
        }
        logger[metadataKey: "peer"] = "\(peer)"
        do {
            try await connection.executeThenClose { inbound, outbound in
                guard configuration.peerPolicy.allows(peer) else {
                    logger.warning("bridge connection refused: peer not allowed")
                    try await outbound.write(FrameWriter.encode([
                        .goodbye(.notAllowed, reason: "uid \(peer.uid) / gid \(peer.gid) may not use this socket")
                    ]))
                    return
                }
                var reader = FrameReader(inbound, maximumFrameLength: configuration.session.maximumFrameLength)
                guard let hello = try await handshake(&reader, outbound, channel: connection.channel, logger: logger) else {
                    return
                }
                logger[metadataKey: "version"] = "\(hello.version)"
                logger[metadataKey: "protocol"] = "\(hello.protocolName)"
                logger[metadataKey: "instance"] = "\(hello.instance)"
                switch await acceptor.accept(protocolName: hello.protocolName, instance: hello.instance, peer: peer) {
                case .refuse(let code, let reason):
                    try await refuse(code, reason, outbound, logger)
                case .proceed(let delegate):
                    let session = BridgeSession(
                        peerDescription: "\(hello.protocolName)/\(hello.instance) \(peer)",
                        version: hello.version,
                        configuration: configuration.session,
                        delegate: delegate,
                        logger: logger
                    )
                    let gateways = try await acceptor.sessionStarted(session, protocolName: hello.protocolName)
                    try await outbound.write(FrameWriter.encode([
                        .welcome(version: hello.version, gateways: gateways)
                    ]))
                    logger.info("bridge connected", metadata: ["gateways": "\(gateways.count)"])
                    activeSessions.insert(session)
                    let end = await session.run(reader: &reader, outbound: outbound, channel: connection.channel)
                    activeSessions.remove(session)
                    await acceptor.sessionEnded(session, protocolName: hello.protocolName, reason: end)
                    logger.log(level: end.isOrdinary ? .info : .warning, "bridge disconnected", metadata: ["reason": "\(end)"])
                }
            }
        } catch {
            logger.warning("bridge connection closed", metadata: ["reason": "\(error)"])
        }
    }

    /// Says goodbye with a reason, and logs the same reason.
    private func refuse(_ code: GoodbyeCode, _ reason: String, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ logger: Logger) async throws {
        logger.warning("bridge refused", metadata: ["code": "\(code)", "reason": "\(reason)"])
        try await outbound.write(FrameWriter.encode([.goodbye(code, reason: reason)]))
    }

    private struct Hello {
        /// The version agreed: the highest both sides speak.
        var version: UInt16
        var protocolName: String
        var instance: String
    }

    /// Waits (bounded by the handshake timeout) for `hello`; answers a wrong first frame or version with goodbye.
    private func handshake(
        _ reader: inout FrameReader,
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        logger: Logger
    ) async throws -> Hello? {
        let timeout = configuration.session.handshakeTimeout
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            logger.warning("bridge connection closed: no hello", metadata: ["timeout": "\(timeout)"])
            let goodbye = FrameWriter.encode([.goodbye(.handshakeTimeout, reason: "no hello within \(timeout)")])
            channel.writeAndFlush(goodbye).whenComplete { _ in channel.close(promise: nil) }
        }
        defer { timer.cancel() }
        let first: BridgeMessage?
        do {
            first = try await reader.next()
        } catch let end as BridgeSessionEnd {
            logger.warning("bridge connection closed during handshake", metadata: ["reason": "\(end)"])
            if case .badFrame(let error) = end {
                try? await outbound.write(FrameWriter.encode([.goodbye(.badFrame, reason: error.reason)]))
            }
            return nil
        }
        timer.cancel()
        switch first {
        case .hello(let version, let protocolName, let instance):
            guard let agreed = BridgeProtocolVersion.agreed(offered: version) else {
                try await refuse(
                    .unsupportedVersion,
                    "this router speaks bridge protocol versions \(BridgeProtocolVersion.oldest) to \(BridgeProtocolVersion.current), the bridge offered \(version)",
                    outbound, logger)
                return nil
            }
            return Hello(version: agreed, protocolName: protocolName, instance: instance)
        case nil:
            return nil
        case let other?:
            try await refuse(.protocolViolation, "the first frame must be hello, got \(other.kindName)", outbound, logger)
            return nil
        }
    }
}

/// The sessions running now, so a shutdown can say goodbye to each.
final class ActiveSessions: Sendable {
    private let sessions = NIOLockedValueBox<[ObjectIdentifier: BridgeSession]>([:])

    func insert(_ session: BridgeSession) { sessions.withLockedValue { $0[ObjectIdentifier(session)] = session } }
    func remove(_ session: BridgeSession) { _ = sessions.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(session)) } }

    func closeAll(_ code: GoodbyeCode, reason: String) {
        for session in sessions.withLockedValue({ Array($0.values) }) { session.close(code, reason: reason) }
    }
}

extension BridgeSessionEnd {
    /// Ends that happen in normal operation (restarts, shutdowns) are logged at info, the rest as warnings.
    public var isOrdinary: Bool {
        switch self {
        case .peerClosed, .closedLocally: true
        case .peerSaidGoodbye(let code, _): code == .shuttingDown
        case .badFrame, .idleTimeout, .protocolViolation: false
        }
    }
}

extension BridgeMessage {
    /// The frame's name as `docs/bridge-protocol.md` spells it, for logs.
    public var kindName: String { frameType.name }
}

extension BridgeListener: CustomStringConvertible {
    public var description: String { "BridgeListener(\(configuration.socketPath))" }
}
