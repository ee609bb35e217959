import CRefdeskOpenSSL
import NIOCore

/// Why TLS could not be set up or a TLS connection failed.
public struct TLSServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The server's certificate chain and private key, as PEM text held in memory.
///
/// Each connection builds its own OpenSSL context from these bytes (parsing a PEM key takes microseconds), so no
/// OpenSSL object is shared between event loops and nothing reads files once the server runs.
public struct TLSServerIdentity: Sendable {
    let certificatePEM: [UInt8]
    let keyPEM: [UInt8]

    /// Checks that the certificate and key parse and belong together, so a mistake stops the router at start
    /// rather than failing every handshake.
    public init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(TLSServerError) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        let context = try makeContext()
        SSL_CTX_free(context)
    }

    /// A new server context with TLS 1.2 as the minimum version.
    func makeContext() throws(TLSServerError) -> OpaquePointer {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSServerError(description: "OpenSSL cannot create a TLS context: \(OpenSSLErrors.drain())")
        }
        SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        let problem = Self.loadCertificate(certificatePEM, into: context) ?? Self.loadKey(keyPEM, into: context)
        if let problem {
            SSL_CTX_free(context)
            throw TLSServerError(description: problem)
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

/// Server-side TLS done by OpenSSL through memory BIOs, so NIO keeps owning the socket.
///
/// Ciphertext from the client is written into the read BIO and plaintext read out with `SSL_read`; plaintext
/// writes go through `SSL_write` and the write BIO's ciphertext is sent on. Writes made before the handshake
/// finishes wait for it; a failed handshake closes the connection.
final class TLSServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = ByteBuffer

    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private var handshakeDone = false
    private var failed = false
    private var waitingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []

    init(identity: TLSServerIdentity) throws(TLSServerError) {
        let context = try identity.makeContext()
        guard let ssl = SSL_new(context), let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            let detail = OpenSSLErrors.drain()
            SSL_CTX_free(context)
            throw TLSServerError(description: "cannot set up TLS for a connection: \(detail)")
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        SSL_set_accept_state(ssl)
        self.context = context
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs too
        SSL_CTX_free(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            _ = BIO_write(readBIO, base, Int32(bytes.count))
        }
        if !handshakeDone {
            advanceHandshake(context: context)
        }
        if handshakeDone, !failed {
            readPlaintext(context: context)
        }
        sendCiphertext(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            promise?.fail(TLSServerError(description: "file regions cannot be sent over TLS"))
            return
        }
        guard handshakeDone else {
            waitingWrites.append((buffer, promise))
            return
        }
        encrypt(buffer, promise: promise, context: context)
    }

    func flush(context: ChannelHandlerContext) {
        // Ciphertext is flushed as it is produced.
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, handshakeDone, !failed {
            SSL_shutdown(ssl)
            sendCiphertext(context: context)
        }
        for (_, waiting) in waitingWrites {
            waiting?.fail(ChannelError.ioOnClosedChannel)
        }
        waitingWrites.removeAll()
        context.close(mode: mode, promise: promise)
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            handshakeDone = true
            let writes = waitingWrites
            waitingWrites.removeAll()
            for (buffer, promise) in writes {
                encrypt(buffer, promise: promise, context: context)
            }
        } else {
            let error = SSL_get_error(ssl, result)
            if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                fail("TLS handshake failed: \(OpenSSLErrors.drain())", context: context)
            }
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: chunk[0..<Int(count)])))
                continue
            }
            let error = SSL_get_error(ssl, count)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
            if error == SSL_ERROR_ZERO_RETURN {
                sendCiphertext(context: context)
                context.close(promise: nil)
                return
            }
            fail("TLS error: \(OpenSSLErrors.drain())", context: context)
            return
        }
    }

    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard !failed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let written = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
            return SSL_write(ssl, base, Int32(bytes.count))
        }
        if written < 0 || (written == 0 && buffer.readableBytes > 0) {
            promise?.fail(TLSServerError(description: "TLS write failed: \(OpenSSLErrors.drain())"))
            return
        }
        sendCiphertext(context: context, promise: promise)
    }

    /// Sends whatever OpenSSL produced (handshake records, encrypted data, alerts, close_notify).
    private func sendCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        let pending = BIO_ctrl_pending(writeBIO)
        guard pending > 0 else {
            promise?.succeed()
            return
        }
        var bytes = [UInt8](repeating: 0, count: Int(pending))
        let count = bytes.withUnsafeMutableBytes { BIO_read(writeBIO, $0.baseAddress, Int32($0.count)) }
        guard count > 0 else {
            promise?.succeed()
            return
        }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes[0..<Int(count)])), promise: promise)
    }

    private func fail(_ reason: String, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        sendCiphertext(context: context)  // the alert, if OpenSSL wrote one
        context.fireErrorCaught(TLSServerError(description: reason))
        context.close(promise: nil)
    }
}

enum OpenSSLErrors {
    /// Every queued OpenSSL error, as text, emptying the queue.
    static func drain() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }
}
