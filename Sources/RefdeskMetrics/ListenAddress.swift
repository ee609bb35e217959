/// A `host:port` to listen on, as written in a configuration file: `127.0.0.1:9464`, `[::1]:9464`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `text`; the error message says what was expected.
    public init(parsing text: String) throws(ListenAddressError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw ListenAddressError("expected host:port (e.g. \"127.0.0.1:9464\"), got \"\(text)\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else {
            throw ListenAddressError("expected host:port (e.g. \"127.0.0.1:9464\"), got \"\(text)\": the host is missing")
        }
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw ListenAddressError("expected host:port (e.g. \"127.0.0.1:9464\"), got \"\(text)\": the port must be 1 to 65535")
        }
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// A listen address that cannot be parsed.
public struct ListenAddressError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
