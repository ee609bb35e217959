import CRefdeskOpenSSL

/// The client side's setup: which host is expected and which certificate authorities vouch for it.
///
/// The peer's certificate is verified against the system store (or `caFile`) and its name against `host`, so
/// nothing secret goes to an impostor.
public struct TLSClientContext: Sendable {
    /// The name (or IP address) connected to: sent as SNI and checked against the certificate.
    public let host: String
    /// PEM file of trusted CAs; nil means the system default store.
    public let caFile: String?

    public init(host: String, caFile: String?) {
        self.host = host
        self.caFile = caFile
    }

    /// A new client context that verifies the peer, with TLS 1.2 as the minimum version; the caller frees it.
    func makeContext() throws(TLSError) -> OpaquePointer {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError(description: "OpenSSL cannot create a TLS context: \(OpenSSLErrors.drain())")
        }
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        let loaded: Int32
        if let caFile {
            loaded = SSL_CTX_load_verify_locations(context, caFile, nil)
        } else {
            loaded = SSL_CTX_set_default_verify_paths(context)
        }
        guard loaded == 1 else {
            let detail = OpenSSLErrors.drain()
            SSL_CTX_free(context)
            throw TLSError(description: setupFailure(detail))
        }
        return context
    }

    /// Why the connection's TLS state could not be created.
    func setupFailure(_ detail: String) -> String {
        "cannot set up TLS (CA file \(caFile ?? "system default")): \(detail)"
    }

    /// Sends the host name as SNI and makes the handshake check the certificate against it (or the IP address).
    func prepare(_ ssl: OpaquePointer) {
        if Self.isIPAddress(host) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            host.withCString { name in
                _ = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
            }
            SSL_set1_host(ssl, host)
        }
    }

    /// The handshake failure, with the certificate verification result when that is what failed.
    func handshakeFailure(_ ssl: OpaquePointer) -> String {
        let verify = SSL_get_verify_result(ssl)
        var reason = "TLS handshake with \(host) failed: \(OpenSSLErrors.drain())"
        if verify != Int(X509_V_OK), let text = X509_verify_cert_error_string(verify) {
            reason += " (certificate: \(String(cString: text)))"
        }
        return reason
    }

    private static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
