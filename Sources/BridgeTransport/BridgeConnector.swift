import BridgeProtocol
import DaemonSupport
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Where a bridge finds the router and how it introduces itself.
public struct BridgeConnectorConfiguration: Sendable {
    public var socketPath: String
    /// The protocol this bridge serves: `twilio`, `aim`, or `test`.
    public var protocolName: String
    /// A name for this bridge process in the router's logs (e.g. the host name).
    public var instance: String
    public var session = BridgeSessionConfiguration()

    public init(socketPath: String, protocolName: String, instance: String) {
        self.socketPath = socketPath
        self.protocolName = protocolName
        self.instance = instance
    }
}

/// A bridge's side of a connection: its durable stores (through `BridgeSessionDelegate`) and what to do when the
/// router's view of the gateways arrives.
public protocol BridgeConnectorDelegate: BridgeSessionDelegate {
    /// The router welcomed us with the whole current gateway list; `session` takes control frames until it ends.
    func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws
    /// The connection ended; the connector reconnects after a backoff.
    func disconnected(reason: String) async
}

/// Keeps a bridge connected to the router: connects, says hello, runs the session, and after any failure
/// reconnects with capped exponential backoff and jitter. Runs until cancelled or shut down gracefully.
public struct BridgeConnector: Service {
    private let configuration: BridgeConnectorConfiguration
    private let delegate: any BridgeConnectorDelegate
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(
        configuration: BridgeConnectorConfiguration,
        delegate: any BridgeConnectorDelegate,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.delegate = delegate
        self.group = group
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            while !Task.isCancelled {
                let reason = await connectOnce(resetting: &backoff)
                guard !Task.isCancelled else { break }
                await delegate.disconnected(reason: reason)
                let delay = backoff.next()
                logger.info("reconnecting to the router", metadata: ["reason": "\(reason)", "in": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { break }
            }
        }
    }

    /// One connection, from connect to its end; returns why it ended.
    private func connectOnce(resetting backoff: inout Backoff) async -> String {
        let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            connection = try await ClientBootstrap(group: group).connect(unixDomainSocketPath: configuration.socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        } catch {
            return "cannot connect to \(configuration.socketPath): \(error)"
        }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(FrameWriter.encode([
                    .hello(version: BridgeProtocolVersion.current, protocolName: configuration.protocolName, instance: configuration.instance)
                ]))
                var reader = FrameReader(inbound, maximumFrameLength: configuration.session.maximumFrameLength)
                let first: BridgeMessage?
                do {
                    first = try await reader.next()
                } catch let end as BridgeSessionEnd {
                    return "handshake failed: \(end)"
                }
                switch first {
                case .welcome(let version, let gateways):
                    guard (BridgeProtocolVersion.oldest...BridgeProtocolVersion.current).contains(version) else {
                        logger.error("the router chose a protocol version this bridge does not speak", metadata: ["version": "\(version)"])
                        return "handshake failed: the router chose protocol version \(version), this bridge speaks \(BridgeProtocolVersion.oldest) to \(BridgeProtocolVersion.current)"
                    }
                    backoff.reset()
                    let session = BridgeSession(
                        peerDescription: "router at \(configuration.socketPath)",
                        version: version,
                        configuration: configuration.session,
                        delegate: delegate,
                        logger: logger
                    )
                    logger.info("connected to the router", metadata: ["gateways": "\(gateways.count)", "version": "\(version)"])
                    try await delegate.connected(gateways: gateways, session: session)
                    let end = await session.run(reader: &reader, outbound: outbound, channel: connection.channel)
                    return "\(end)"
                case .goodbye(let code, let reason):
                    logger.error("the router refused this bridge", metadata: ["code": "\(code)", "reason": "\(reason)"])
                    return "refused by the router: \(reason)"
                case nil:
                    return "the router closed the connection during the handshake"
                case let other?:
                    return "handshake failed: expected welcome, got \(other.kindName)"
                }
            }
        } catch {
            return "connection failed: \(error)"
        }
    }
}

extension BridgeConnector: CustomStringConvertible {
    public var description: String { "BridgeConnector(\(configuration.protocolName) → \(configuration.socketPath))" }
}
