import NIOCore
import NIOHTTP1

/// The limits one HTTP listener puts on its clients: body size and time (see ``HTTPServerTimeouts``), and what a
/// client that ran out of time is told.
public struct HTTPServerLimits: Sendable {
    /// A request whose body is larger is handed to the server as soon as that is known (from `Content-Length`, or
    /// once the body passes the limit) with ``ReceivedRequest/bodyTooLarge`` set, without its body.
    public var maximumBodyBytes: Int
    public var timeouts: HTTPServerTimeouts
    /// The `408 Request Timeout` answer, in the listener's own format (JSON for the admin API, plain text elsewhere).
    public var timeoutAnswer: HTTPTimeoutAnswer

    public init(maximumBodyBytes: Int, timeouts: HTTPServerTimeouts = HTTPServerTimeouts(), timeoutAnswer: HTTPTimeoutAnswer) {
        self.maximumBodyBytes = maximumBodyBytes
        self.timeouts = timeouts
        self.timeoutAnswer = timeoutAnswer
    }
}

/// The body and headers of the `408 Request Timeout` a listener sends to a client that did not finish its request
/// in time.
///
/// It is written as bytes under the HTTP codec, since the request may be cut off anywhere — even in its request
/// line, where the codec has nothing to answer yet — and the connection is closed right after it.
public struct HTTPTimeoutAnswer: Sendable, Equatable {
    public var contentType: String
    public var body: [UInt8]
    /// Further response headers (`Content-Type`, `Content-Length` and `Connection: close` are always sent).
    public var headers: [Header]

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(contentType: String, body: [UInt8], headers: [Header] = []) {
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A plain-text answer: `text` and a newline.
    public static func plainText(_ text: String) -> HTTPTimeoutAnswer {
        HTTPTimeoutAnswer(contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8))
    }

    /// The whole HTTP/1.1 response as it goes on the wire. Line breaks in header fields (which only code sets) are
    /// dropped so a header can never end early.
    public var responseBytes: [UInt8] {
        func clean(_ text: String) -> String { String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }) }
        var text = "HTTP/1.1 408 Request Timeout\r\n"
        text += "Content-Type: \(clean(contentType))\r\n"
        text += "Content-Length: \(body.count)\r\n"
        text += "Connection: close\r\n"
        for header in headers {
            text += "\(clean(header.name)): \(clean(header.value))\r\n"
        }
        text += "\r\n"
        return Array(text.utf8) + body
    }
}

/// One request read in full, or refused for its size.
public struct ReceivedRequest: Sendable {
    public var head: HTTPRequestHead
    /// The whole body; empty when ``bodyTooLarge``.
    public var body: [UInt8]
    /// The body is (or was declared to be) larger than ``HTTPServerLimits/maximumBodyBytes``: the server answers
    /// 413. No further request is read on this connection: after the answer it drops what the client still sends
    /// for a moment and closes, even if the server closes it at once (the close waits for that moment).
    public var bodyTooLarge: Bool

    public init(head: HTTPRequestHead, body: [UInt8], bodyTooLarge: Bool = false) {
        self.head = head
        self.body = body
        self.bodyTooLarge = bodyTooLarge
    }
}
