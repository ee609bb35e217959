import NIOCore
import NIOHTTP1

extension ChannelPipeline.SynchronousOperations {
    /// Adds an HTTP/1.1 server that hands on whole requests (``ReceivedRequest``) and takes response parts, under
    /// `limits`: NIO's codec with pipelining assistance and 400 answers to malformed requests, the body cap with its
    /// early refusal, and the time limits (``HTTPServerTimeouts``).
    ///
    /// Call it on a new connection after any TLS handler, then wrap the channel in
    /// `NIOAsyncChannel<ReceivedRequest, HTTPServerResponsePart>`. Every refdesk listener is set up this way, so none
    /// can be held open by a client that stalls.
    public func configureHTTPServer(limits: HTTPServerLimits) throws {
        let deadline = HTTPDeadlineHandler(timeouts: limits.timeouts, timeoutAnswer: limits.timeoutAnswer)
        try addHandler(deadline)
        try configureHTTPServerPipeline(withErrorHandling: true)
        try addHandler(HTTPRequestAssembler(deadline: deadline, maximumBodyBytes: limits.maximumBodyBytes))
    }
}
