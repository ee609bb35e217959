import HTTPServerSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RefdeskMetrics
import ServiceLifecycle

/// A minimal HTTP/1.1 listener that answers `/metrics` and `/healthz` (and 404 for anything else).
///
/// Meant for a loopback address that a Prometheus server or a monitoring check scrapes; it ignores request bodies
/// (refusing ones over 16 KiB with 413), closes each connection after one answer, and closes one whose request is
/// not in within 5 s (`HTTPServerTimeouts`), so a slow or hostile client costs one small task for a few seconds.
public struct MetricsServer: Service, CustomStringConvertible {
    public let address: ListenAddress
    let endpoints: MetricsEndpoints
    let logger: Logger
    let onListening: @Sendable () -> Void

    /// `onListening` runs once the socket is bound.
    public init(address: ListenAddress, endpoints: MetricsEndpoints, logger: Logger, onListening: @escaping @Sendable () -> Void = {}) {
        self.address = address
        self.endpoints = endpoints
        self.logger = logger
        self.onListening = onListening
    }

    public var description: String { "MetricsServer(\(address))" }

    /// Nothing sent to these endpoints has a body; a small cap keeps a client from making the listener buffer one.
    static let limits: HTTPServerLimits = {
        let timeouts = HTTPServerTimeouts()
        let seconds = timeouts.request.nanoseconds / 1_000_000_000
        return HTTPServerLimits(
            maximumBodyBytes: 16 * 1024, timeouts: timeouts, timeoutAnswer: .plainText("request not received in full within \(seconds) seconds")
        )
    }()

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address.host, port: address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServer(limits: Self.limits)
                    return try NIOAsyncChannel<ReceivedRequest, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("serving metrics", metadata: ["address": "\(address)", "paths": "/metrics /healthz"])
        onListening()
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Shutdown cancelled the accept loop.
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ReceivedRequest, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await request in inbound {
                    let answer: MetricsAnswer
                    if request.bodyTooLarge {
                        answer = MetricsAnswer(status: 413, contentType: "text/plain; charset=utf-8", body: "this listener takes no request bodies\n")
                    } else {
                        answer = await endpoints.answer(method: request.head.method.rawValue, uri: request.head.uri)
                            ?? MetricsAnswer(status: 404, contentType: "text/plain; charset=utf-8", body: "this listener serves /metrics and /healthz\n")
                    }
                    try await Self.write(answer, head: request.head, to: outbound)
                    return
                }
            }
        } catch {
            logger.debug("metrics connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Writes `answer` with `Connection: close` (no body for HEAD).
    static func write(_ answer: MetricsAnswer, head: HTTPRequestHead, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let bytes = ByteBuffer(string: answer.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: "\(bytes.readableBytes)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Connection", value: "close")
        let response = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        if head.method == .HEAD {
            try await outbound.write(contentsOf: [.head(response), .end(nil)])
        } else {
            try await outbound.write(contentsOf: [.head(response), .body(.byteBuffer(bytes)), .end(nil)])
        }
    }
}
