import NIOCore
import NIOHTTP1

/// The upper half of a listener's limits: turns request parts into whole ``ReceivedRequest``s, caps the body, and
/// reports each request's end and its answer's end to the ``HTTPDeadlineHandler`` below the codec.
///
/// A body over the cap is refused as early as possible: a `Content-Length` over it hands the request on at its
/// head, and a chunked body is handed on the moment it passes the cap; the rest of it is dropped. After a refused
/// request nothing more is handed on: the connection drains and closes.
final class HTTPRequestAssembler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ReceivedRequest
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case collecting(HTTPRequestHead, [UInt8])
        /// A request was refused for its size: everything after it is dropped.
        case refused
    }

    private let deadline: HTTPDeadlineHandler
    private let maximumBodyBytes: Int
    private var state = State.idle
    /// The answer being written is to a refused request.
    private var answeringRefusal = false

    init(deadline: HTTPDeadlineHandler, maximumBodyBytes: Int) {
        self.deadline = deadline
        self.maximumBodyBytes = maximumBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (_, .refused):
            return
        case (.head(let head), _):
            deadline.requestStarted()
            if Self.declaredLength(head, exceeds: maximumBodyBytes) {
                refuse(head, context: context)
            } else {
                state = .collecting(head, [])
            }
        case (.body(let buffer), .collecting(let head, var body)):
            if body.count + buffer.readableBytes > maximumBodyBytes {
                refuse(head, context: context)
                return
            }
            state = .idle  // lets `body` be extended in place
            body += buffer.readableBytesView
            state = .collecting(head, body)
        case (.end, .collecting(let head, let body)):
            state = .idle
            deadline.requestReceived()
            context.fireChannelRead(wrapInboundOut(ReceivedRequest(head: head, body: body)))
        case (.body, .idle), (.end, .idle):
            // The codec sends parts in order; nothing to collect without a head.
            return
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // Before passing it on: a pipelined request the codec held back is let through during this write.
            deadline.responseSent(refused: answeringRefusal)
            answeringRefusal = false
        }
        context.write(data, promise: promise)
    }

    private func refuse(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .refused
        answeringRefusal = true
        deadline.requestReceived()
        context.fireChannelRead(wrapInboundOut(ReceivedRequest(head: head, body: [], bodyTooLarge: true)))
    }

    /// Whether the head's `Content-Length` is over `limit`. (A value that is no number, or too long for one, never
    /// gets here: the codec refuses the request with 400.)
    static func declaredLength(_ head: HTTPRequestHead, exceeds limit: Int) -> Bool {
        head.headers[canonicalForm: "content-length"].contains { value in
            Int(value.filter { $0 != " " && $0 != "\t" }).map { $0 > limit } ?? false
        }
    }
}
