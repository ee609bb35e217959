import HTTPServerSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Where the admin API listens.
public struct AdminServerSettings: Sendable {
    public struct Listener: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        /// HTTPS, or cleartext HTTP (allowed only on a loopback address).
        public var tls: Bool

        public init(host: String, port: Int, tls: Bool) {
            self.host = host
            self.port = port
            self.tls = tls
        }

        public var description: String { "\(tls ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    public var listeners: [Listener]
    /// Needed when any listener uses TLS.
    public var identity: TLSServerIdentity?
    /// Larger request bodies are refused with 413 before they are read in full.
    public var maximumBodyBytes = 64 * 1024
    /// How long a client may take over a request (from the connection's start for the first one, so the TLS
    /// handshake counts) and may leave a keep-alive connection idle; see `HTTPServerTimeouts` for the reasons.
    public var timeouts = HTTPServerTimeouts()

    public init(listeners: [Listener], identity: TLSServerIdentity?) {
        self.listeners = listeners
        self.identity = identity
    }

    /// Why these settings cannot be served: cleartext only on loopback, TLS only with a certificate.
    public func validate() throws(TLSServerError) {
        for listener in listeners {
            if !listener.tls, !Self.isLoopback(listener.host) {
                throw TLSServerError(
                    description: "the cleartext admin listener must be on a loopback address (127.0.0.1 or ::1), not \(listener.host)"
                )
            }
            if listener.tls, identity == nil {
                throw TLSServerError(description: "the HTTPS admin listener \(listener) needs a certificate and key")
            }
        }
    }

    /// 127.0.0.0/8, ::1 and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return false }
        return parts[0] == "127"
    }
}

/// The admin API's HTTP/1.1 listeners (HTTPS, and optionally cleartext on loopback), as a service in the
/// daemon's service group.
///
/// Each connection is served in its own child task; requests on it are read one at a time (keep-alive works),
/// the body is collected up to the limit and handed to ``AdminService``. A client that does not finish a request
/// in time is answered 408 (or, if it sent nothing, just closed), and a body over the limit is refused with 413 as
/// soon as its `Content-Length` shows it (`configureHTTPServer(limits:)`).
public struct AdminServer: Service {
    let settings: AdminServerSettings
    let service: AdminService
    let logger: Logger

    public init(settings: AdminServerSettings, service: AdminService, logger: Logger) throws(TLSServerError) {
        try settings.validate()
        self.settings = settings
        self.service = service
        self.logger = logger
    }

    typealias Connection = NIOAsyncChannel<ReceivedRequest, HTTPServerResponsePart>

    /// The listener's limits, with the 408 answer in the API's JSON error shape.
    var limits: HTTPServerLimits {
        let seconds = settings.timeouts.request.nanoseconds / 1_000_000_000
        let answer = AdminResponse.failure(408, "The request was not received in full within \(seconds) seconds")
        return HTTPServerLimits(
            maximumBodyBytes: settings.maximumBodyBytes,
            timeouts: settings.timeouts,
            timeoutAnswer: HTTPTimeoutAnswer(
                contentType: answer.header("Content-Type") ?? "application/json",
                body: answer.body,
                headers: [.init("X-Content-Type-Options", "nosniff"), .init("Cache-Control", "no-store")]
            )
        )
    }

    public func run() async throws {
        let limits = limits
        var servers: [(AdminServerSettings.Listener, NIOAsyncChannel<Connection, Never>)] = []
        for listener in settings.listeners {
            let identity = listener.tls ? settings.identity : nil
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: false)
                .bind(host: listener.host, port: listener.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let identity {
                            try channel.pipeline.syncOperations.addHandler(TLSServerHandler(identity: identity))
                        }
                        try channel.pipeline.syncOperations.configureHTTPServer(limits: limits)
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
            logger.info("admin API listening", metadata: ["address": "\(listener)"])
            servers.append((listener, server))
        }
        let bound = servers
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    for (listener, server) in bound {
                        group.addTask {
                            try await withThrowingDiscardingTaskGroup { connections in
                                try await server.executeThenClose { inbound in
                                    for try await connection in inbound {
                                        connections.addTask { await serve(connection, secure: listener.tls) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Shutdown: the accept loops were cancelled, which is how they are meant to end.
        }
        logger.info("admin API closed")
    }

    private func serve(_ connection: Connection, secure: Bool) async {
        let remote = connection.channel.remoteAddress?.ipAddress ?? "unknown"
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await request in inbound {
                    let response: AdminResponse
                    if request.bodyTooLarge {
                        response = .failure(413, "The body is larger than \(settings.maximumBodyBytes) bytes")
                    } else {
                        let head = request.head
                        let adminRequest = AdminRequest(
                            method: head.method.rawValue, target: head.uri,
                            headers: head.headers.map { ($0.name, $0.value) }, body: request.body, remoteAddress: remote, isSecure: secure
                        )
                        response = await service.handle(adminRequest)
                    }
                    let keepAlive = request.head.isKeepAlive && !request.bodyTooLarge
                    try await write(response, head: request.head, keepAlive: keepAlive, to: outbound)
                    if !keepAlive { return }
                }
            }
        } catch {
            logger.debug("admin connection ended with an error", metadata: ["error": "\(error)", "address": "\(remote)"])
        }
    }

    private func write(_ response: AdminResponse, head request: HTTPRequestHead, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if response.stream == nil || request.method == .HEAD {
            headers.add(name: "Content-Length", value: "\(response.stream == nil ? response.body.count : 0)")
        } else {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        if response.header("Cache-Control") == nil { headers.add(name: "Cache-Control", value: "no-store") }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        if request.method == .HEAD {
            try await outbound.write(contentsOf: [.head(head), .end(nil)])
        } else if let stream = response.stream {
            try await outbound.write(.head(head))
            try await stream.produce { bytes in try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
            try await outbound.write(.end(nil))
        } else {
            try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil)])
        }
    }
}
