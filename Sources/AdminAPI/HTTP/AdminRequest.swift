/// One HTTP request as the admin API sees it: already read in full (the server enforces the body limit).
public struct AdminRequest: Sendable {
    public var method: String
    /// The path, still percent-encoded, without the query string.
    public var path: String
    /// Decoded query parameters, in order.
    public var query: [(String, String)]
    /// Header names in lower case.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The client's IP address, for rate limiting failed logins.
    public var remoteAddress: String
    /// Whether the request came over TLS (a session cookie is only honoured there, or on the loopback listener).
    public var isSecure: Bool

    public init(
        method: String, target: String, headers: [(String, String)], body: [UInt8] = [], remoteAddress: String = "127.0.0.1",
        isSecure: Bool = true
    ) {
        self.method = method.uppercased()
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = FormDecoding.decode(String(target[target.index(after: question)...])) ?? []
        } else {
            path = target
            query = []
        }
        self.headers = headers.map { ($0.0.lowercased(), $0.1) }
        self.body = body
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
    }

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.0 == lowered }?.1
    }

    /// The first query parameter named `name`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }

    /// The value of cookie `name` from the `Cookie` headers.
    public func cookie(_ name: String) -> String? {
        for (header, value) in headers where header == "cookie" {
            for pair in value.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
            }
        }
        return nil
    }

    /// The path split into percent-decoded segments; `nil` when an escape is malformed or decodes to invalid UTF-8.
    public var pathSegments: [String]? {
        var segments: [String] = []
        for raw in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = FormDecoding.percentDecode(Substring(raw), plusIsSpace: false) else { return nil }
            segments.append(decoded)
        }
        return segments
    }
}

/// An answer, built by the API and written by the server.
public struct AdminResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A body written piece by piece instead of `body` (server-sent events, a large export), sent chunked.
    public var stream: AdminStream?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], stream: AdminStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    /// A JSON answer.
    public static func json(_ value: JSONValue, status: Int = 200) -> AdminResponse {
        AdminResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(value.serialized.utf8))
    }

    /// LibraryH3lp's failure shape: `{"success": false, "message": "…"}`.
    public static func failure(_ status: Int, _ message: String) -> AdminResponse {
        json(.object([("success", .bool(false)), ("message", .string(message))]), status: status)
    }

    /// LibraryH3lp's success shape for operations without a resource: `{"success": true}`.
    public static var success: AdminResponse { json(.object([("success", .bool(true))])) }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A response body produced while it is sent: `produce` calls `write` with each piece, and waits while the client
/// is slow (the server keeps no more than a piece in hand), until it returns or `write` throws (the client left).
public struct AdminStream: Sendable {
    public let produce: @Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void

    public init(_ produce: @escaping @Sendable (_ write: @Sendable ([UInt8]) async throws -> Void) async throws -> Void) {
        self.produce = produce
    }
}

/// `application/x-www-form-urlencoded` (bodies and query strings).
public enum FormDecoding {
    /// Decodes `a=1&b=two+words`; `nil` when a percent escape is malformed or not UTF-8.
    public static func decode(_ text: String) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = part.firstIndex(of: "=") {
                name = part[..<equals]
                value = part[part.index(after: equals)...]
            } else {
                name = part
                value = ""
            }
            guard let decodedName = percentDecode(name, plusIsSpace: true), let decodedValue = percentDecode(value, plusIsSpace: true) else {
                return nil
            }
            pairs.append((decodedName, decodedValue))
        }
        return pairs
    }

    /// Decodes `%XX` escapes (and `+` as a space in forms); `nil` on a malformed escape or invalid UTF-8.
    public static func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else if byte == UInt8(ascii: "+"), plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Encodes a path segment or form value: everything but unreserved characters is escaped.
    public static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = String(byte, radix: 16, uppercase: true)
                output += "%" + (digits.count == 1 ? "0" : "") + digits
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
