import TLSSupport

/// TLS for OSCAR connections: the shared OpenSSL handler in its client role. The server's certificate is verified
/// against the system store (or `caFile`) and its name against the host connected to, so a password hash never
/// goes to an impostor; failures carry the text that goes into the gateway's state reason.
typealias TLSClientHandler = OpenSSLHandler

extension OpenSSLHandler {
    convenience init(host: String, caFile: String?) throws(TLSError) {
        try self.init(role: .client(TLSClientContext(host: host, caFile: caFile)))
    }
}
