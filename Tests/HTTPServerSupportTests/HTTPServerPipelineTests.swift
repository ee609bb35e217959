import HTTPServerSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The limits as a connection sees them: bytes in, requests and answers out, on an event loop whose time the test moves.
@Suite("An HTTP listener's connection under its limits")
struct HTTPServerPipelineTests {
    static let limits = HTTPServerLimits(
        maximumBodyBytes: 100,
        timeouts: HTTPServerTimeouts(request: .seconds(5), idle: .seconds(30), linger: .seconds(2), maximumLinger: .seconds(30)),
        timeoutAnswer: HTTPTimeoutAnswer(contentType: "application/json", body: Array(#"{"success": false}"#.utf8), headers: [.init("Cache-Control", "no-store")])
    )

    final class Connection {
        let channel: EmbeddedChannel
        let loop: EmbeddedEventLoop

        init() throws {
            loop = EmbeddedEventLoop()
            channel = EmbeddedChannel(loop: loop)
            try channel.pipeline.syncOperations.configureHTTPServer(limits: HTTPServerPipelineTests.limits)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        }

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        func request() throws -> ReceivedRequest? {
            try channel.readInbound(as: ReceivedRequest.self)
        }

        func answer(_ status: HTTPResponseStatus, close: Bool = false) throws {
            var headers = HTTPHeaders([("Content-Length", "0")])
            if close { headers.add(name: "Connection", value: "close") }
            try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }

        /// Everything written to the client so far.
        func written() throws -> String {
            var text = ""
            while let data = try channel.readOutbound(as: IOData.self) {
                guard case .byteBuffer(let buffer) = data else { continue }
                text += String(buffer: buffer)
            }
            return text
        }

        func wait(_ seconds: Int64) {
            loop.advanceTime(by: .seconds(seconds))
        }

        var isOpen: Bool { channel.isActive }
    }

    @Test("a whole request is handed on with its body")
    func wholeRequest() throws {
        let connection = try Connection()
        try connection.send("POST /refdesk/sms HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel")
        #expect(try connection.request() == nil)
        try connection.send("lo")
        let request = try #require(try connection.request())
        #expect(request.head.uri == "/refdesk/sms")
        #expect(request.body == Array("hello".utf8))
        #expect(!request.bodyTooLarge)
    }

    @Test("a connection that never sends a byte is closed without an answer when the request limit passes")
    func silentConnection() throws {
        let connection = try Connection()
        connection.wait(4)
        #expect(connection.isOpen)
        connection.wait(1)
        #expect(!connection.isOpen)
        #expect(try connection.written() == "")
    }

    @Test(
        "a request cut off anywhere is answered 408 and closed when the request limit passes",
        arguments: [
            "GET /queues",
            "GET /queues\r\n",
            "GET /queues HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
            "POST /queues HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n{",
        ]
    )
    func stalledRequest(_ sent: String) throws {
        let connection = try Connection()
        try connection.send(sent)
        connection.wait(4)
        #expect(connection.isOpen)
        #expect(try connection.written() == "")
        connection.wait(1)
        let answer = try connection.written()
        #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(answer.contains("\r\nConnection: close\r\n"))
        #expect(answer.contains("\r\nCache-Control: no-store\r\n"))
        #expect(answer.hasSuffix("\r\nContent-Length: 18\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{\"success\": false}"))
        #expect(!connection.isOpen)
        #expect(try connection.request() == nil)
    }

    @Test("a Content-Length over the limit is handed on at once as too large, and no body is waited for")
    func declaredTooLarge() throws {
        let connection = try Connection()
        try connection.send("POST /queues HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n")
        let request = try #require(try connection.request())
        #expect(request.bodyTooLarge)
        #expect(request.body.isEmpty)
        try connection.answer(.payloadTooLarge, close: true)
        #expect(try connection.written().hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        // The server closes; the connection drops what the client still sends until it has been quiet for the
        // linger time, then closes.
        connection.channel.close(promise: nil)
        #expect(connection.isOpen)
        connection.wait(1)
        try connection.send(String(repeating: "x", count: 1000))
        try connection.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.request() == nil)
        connection.wait(1)
        #expect(connection.isOpen)
        connection.wait(1)
        #expect(!connection.isOpen)
        #expect(try connection.written() == "")
    }

    /// Counts the reads that reach the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    /// A server above that has stopped asking for input.
    final class ReadBlocker: ChannelOutboundHandler {
        typealias OutboundIn = HTTPServerResponsePart
        func read(context: ChannelHandlerContext) {}
    }

    @Test("while draining, the connection asks for input itself, though the server above has stopped reading")
    func drainingReads() throws {
        let channel = EmbeddedChannel(loop: EmbeddedEventLoop())
        let counter = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.configureHTTPServer(limits: Self.limits)
        try channel.pipeline.syncOperations.addHandler(ReadBlocker())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8080)).wait()
        try channel.writeInbound(ByteBuffer(string: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"))
        #expect(try channel.readInbound(as: ReceivedRequest.self)?.bodyTooLarge == true)
        channel.read()
        #expect(counter.reads == 0)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .payloadTooLarge)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(counter.reads == 1)
        // Each read of the body the client still sends is followed by a request for the next.
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 100)))
        #expect(counter.reads == 2)
    }

    @Test("a Content-Length too long for any integer is refused by the codec with 400")
    func hugeDeclaredLength() throws {
        let connection = try Connection()
        #expect(throws: (any Error).self) {
            try connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n")
        }
        #expect(try connection.request() == nil)
        #expect(try connection.written().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }

    @Test("a chunked body is refused the moment it passes the limit")
    func chunkedTooLarge() throws {
        let connection = try Connection()
        try connection.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + String(repeating: "a", count: 80) + "\r\n")
        #expect(try connection.request() == nil)
        try connection.send("50\r\n" + String(repeating: "b", count: 80) + "\r\n")
        let request = try #require(try connection.request())
        #expect(request.bodyTooLarge)
        #expect(request.body.isEmpty)
    }

    @Test("a body of exactly the limit is accepted")
    func bodyAtTheLimit() throws {
        let connection = try Connection()
        try connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + String(repeating: "a", count: 100))
        let request = try #require(try connection.request())
        #expect(!request.bodyTooLarge)
        #expect(request.body.count == 100)
    }

    @Test("a server that takes its time over a request is not cut off")
    func slowServer() throws {
        let connection = try Connection()
        try connection.send("GET /queues HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.request() != nil)
        connection.wait(60)
        #expect(connection.isOpen)
        try connection.answer(.ok)
        #expect(try connection.written().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test("a keep-alive connection may idle up to the idle limit, and then gets the request limit for its next request")
    func keepAlive() throws {
        let connection = try Connection()
        try connection.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.request() != nil)
        try connection.answer(.ok)
        _ = try connection.written()
        connection.wait(29)
        #expect(connection.isOpen)
        try connection.send("GET /b HTTP/1.1\r\nHost: x\r\n")
        connection.wait(4)
        #expect(connection.isOpen)
        connection.wait(1)
        #expect(try connection.written().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(!connection.isOpen)
    }

    @Test("an idle keep-alive connection is closed without an answer after the idle limit")
    func idleClose() throws {
        let connection = try Connection()
        try connection.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.request() != nil)
        try connection.answer(.ok)
        _ = try connection.written()
        connection.wait(30)
        #expect(!connection.isOpen)
        #expect(try connection.written() == "")
    }

    @Test("pipelined requests are handed on one at a time, each after the previous answer")
    func pipelined() throws {
        let connection = try Connection()
        try connection.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try connection.request()?.head.uri == "/a")
        #expect(try connection.request() == nil)
        try connection.answer(.ok)
        #expect(try connection.request()?.head.uri == "/b")
        connection.wait(10)
        #expect(connection.isOpen)
    }

    @Test("a malformed request is still answered 400 by the codec")
    func malformed() throws {
        let connection = try Connection()
        #expect(throws: (any Error).self) { try connection.send("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n") }
        #expect(try connection.written().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }
}
