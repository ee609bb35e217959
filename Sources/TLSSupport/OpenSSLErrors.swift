import CRefdeskOpenSSL

/// Why TLS could not be set up or a TLS connection failed; the text says which step and what OpenSSL reported.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

/// OpenSSL reports failures in a thread-local queue rather than in return values; this turns it into text.
public enum OpenSSLErrors {
    /// Every queued OpenSSL error, as text, emptying the queue so a later failure does not report stale detail.
    public static func drain() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }
}
