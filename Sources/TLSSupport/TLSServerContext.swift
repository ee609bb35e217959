import CRefdeskOpenSSL

/// The server side's setup: a certificate chain and private key, as PEM text held in memory.
///
/// Each connection builds its own OpenSSL context from these bytes (parsing a PEM key takes microseconds), so no
/// OpenSSL object is shared between event loops and nothing reads files once the server runs.
public struct TLSServerContext: Sendable {
    let certificatePEM: [UInt8]
    let keyPEM: [UInt8]

    /// Checks that the certificate and key parse and belong together, so a mistake stops the daemon at start
    /// rather than failing every handshake.
    public init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(TLSError) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        let context = try makeContext()
        SSL_CTX_free(context)
    }

    /// A new server context with TLS 1.2 as the minimum version; the caller frees it.
    func makeContext() throws(TLSError) -> OpaquePointer {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError(description: "OpenSSL cannot create a TLS context: \(OpenSSLErrors.drain())")
        }
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        let problem = Self.loadCertificate(certificatePEM, into: context) ?? Self.loadKey(keyPEM, into: context)
        if let problem {
            SSL_CTX_free(context)
            throw TLSError(description: problem)
        }
        return context
    }

    /// Installs the leaf certificate and any intermediates after it; returns what went wrong.
    private static func loadCertificate(_ pem: [UInt8], into context: OpaquePointer) -> String? {
        pem.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else {
                return "cannot read the certificate: \(OpenSSLErrors.drain())"
            }
            defer { BIO_free(bio) }
            guard let leaf = PEM_read_bio_X509_AUX(bio, nil, nil, nil) else {
                return "the certificate file holds no PEM certificate: \(OpenSSLErrors.drain())"
            }
            defer { X509_free(leaf) }
            guard SSL_CTX_use_certificate(context, leaf) == 1 else {
                return "OpenSSL refuses the certificate: \(OpenSSLErrors.drain())"
            }
            // Intermediate certificates follow the leaf; the context takes ownership of each.
            while let intermediate = PEM_read_bio_X509(bio, nil, nil, nil) {
                if SSL_CTX_ctrl(context, SSL_CTRL_EXTRA_CHAIN_CERT, 0, UnsafeMutableRawPointer(intermediate)) != 1 {
                    X509_free(intermediate)
                    return "OpenSSL refuses an intermediate certificate: \(OpenSSLErrors.drain())"
                }
            }
            ERR_clear_error()  // the loop ends on a "no start line" error
            return nil
        }
    }

    /// Installs the private key and checks it matches the certificate; returns what went wrong.
    private static func loadKey(_ pem: [UInt8], into context: OpaquePointer) -> String? {
        pem.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else {
                return "cannot read the key: \(OpenSSLErrors.drain())"
            }
            defer { BIO_free(bio) }
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
                return "the key file holds no unencrypted PEM private key: \(OpenSSLErrors.drain())"
            }
            defer { EVP_PKEY_free(key) }
            guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
                return "the private key does not match the certificate: \(OpenSSLErrors.drain())"
            }
            return nil
        }
    }
}
