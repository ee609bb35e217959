import CoreMetrics
import HTTPServerSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RefdeskMetrics
import ServiceLifecycle
import TwilioGateway

/// The plain HTTP/1.1 listener Twilio's webhooks reach through the site's reverse proxy.
///
/// Each connection is served in its own child task; requests on it are read one at a time (keep-alive works), the
/// body is collected up to the limit and handed to `WebhookEndpoints`. Nothing here decides anything about a message.
/// A client that does not finish a request in time is answered 408 (or, if it sent nothing, just closed), and a body
/// over the limit is refused with 413 as soon as its `Content-Length` shows it (`configureHTTPServer(limits:)`).
struct WebhookServer: Service {
    let host: String
    let port: Int
    let maximumBodyBytes: Int
    let endpoints: WebhookEndpoints
    let logger: Logger
    /// Called once the socket is bound (sd_notify READY=1).
    let onListening: @Sendable () -> Void
    /// `/metrics` and `/healthz` (GET), answered beside the webhooks; keep them off the public reverse proxy.
    var metrics: MetricsEndpoints? = nil
    /// How long a client may take over a request and may leave a keep-alive connection idle (see
    /// `HTTPServerTimeouts`): Twilio itself gives up on a webhook after 15 s, so an honest request is never near them.
    var timeouts = HTTPServerTimeouts()

    func run() async throws {
        let seconds = timeouts.request.nanoseconds / 1_000_000_000
        let limits = HTTPServerLimits(
            maximumBodyBytes: maximumBodyBytes,
            timeouts: timeouts,
            timeoutAnswer: .plainText("request not received in full within \(seconds) seconds")
        )
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServer(limits: limits)
                    return try NIOAsyncChannel<ReceivedRequest, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("listening for webhooks", metadata: ["address": "\(host):\(port)", "sms": "\(endpoints.settings.smsURL)", "status": "\(endpoints.settings.statusURL)"])
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
            // Shutdown: the accept loop was cancelled, which is how it is meant to end.
        }
        logger.info("webhook listener closed")
    }

    private func serve(_ connection: NIOAsyncChannel<ReceivedRequest, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await request in inbound {
                    let answer = await answer(request.head, body: request.body, tooLarge: request.bodyTooLarge)
                    let keepAlive = request.head.isKeepAlive && !request.bodyTooLarge
                    try await write(answer, version: request.head.version, keepAlive: keepAlive, to: outbound)
                    if !keepAlive { return }
                }
            }
        } catch {
            logger.debug("webhook connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    private func answer(_ head: HTTPRequestHead, body: [UInt8], tooLarge: Bool) async -> WebhookAnswer {
        if let metrics, let answer = await metrics.answer(method: head.method.rawValue, uri: head.uri) {
            return WebhookAnswer(status: answer.status, contentType: answer.contentType, body: answer.body)
        }
        let answer = await webhookAnswer(head, body: body, tooLarge: tooLarge)
        if answer.status >= 400, let endpoint = WebhookEndpoint(path: head.uri) {
            MetricFamily.webhookRejects.counter(endpoint == .incomingMessage ? "sms" : "status", String(answer.status)).increment()
        }
        return answer
    }

    private func webhookAnswer(_ head: HTTPRequestHead, body: [UInt8], tooLarge: Bool) async -> WebhookAnswer {
        guard let endpoint = WebhookEndpoint(path: head.uri) else {
            return .refused(404, "no such endpoint; Twilio should call \(endpoints.settings.smsURL) or \(endpoints.settings.statusURL)")
        }
        guard head.method == .POST else {
            return .refused(405, "webhooks are POST requests")
        }
        if tooLarge {
            logger.warning("webhook refused", metadata: ["endpoint": "\(endpoint)", "status": "413", "reason": "body larger than \(maximumBodyBytes) bytes"])
            return .refused(413, "body larger than \(maximumBodyBytes) bytes")
        }
        let contentType = head.headers.first(name: "content-type")
        guard WebhookContentType.isForm(contentType) else {
            let refusal = WebhookRefusal.unsupportedContentType(contentType)
            logger.warning("webhook refused", metadata: ["endpoint": "\(endpoint)", "status": "415", "reason": "\(refusal)"])
            return .refused(refusal.httpStatus, refusal.description)
        }
        let query = head.uri.firstIndex(of: "?").map { String(head.uri[$0...]) } ?? ""
        return await endpoints.handle(endpoint, body: body, signature: head.headers.first(name: "x-twilio-signature"), query: query)
    }

    private func write(
        _ answer: WebhookAnswer,
        version: HTTPVersion,
        keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        let bytes = ByteBuffer(string: answer.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: "\(bytes.readableBytes)")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        try await outbound.write(contentsOf: [.head(head), .body(.byteBuffer(bytes)), .end(nil)])
    }
}
