import CRefdeskOpenSSL
import NIOCore

/// Why a TLS connection to the OSCAR server failed; the text goes into the gateway's state reason.
struct TLSConnectionError: Error, CustomStringConvertible {
    let description: String
}

/// TLS for OSCAR connections, done by OpenSSL through memory BIOs so NIO keeps owning the socket.
///
/// Ciphertext from the network is written into the read BIO and plaintext read out with `SSL_read`; plaintext
/// writes go through `SSL_write` and the write BIO's ciphertext is sent on. Writes made before the handshake
/// finishes wait for it. The server's certificate is verified against the system store (or `caFile`) and its
/// name against the host connected to, so a password hash never goes to an impostor.
final class TLSClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let host: String
    private let sslContext: OpaquePointer
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private var handshakeDone = false
    private var failed = false
    private var waitingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []

    init(host: String, caFile: String?) throws(TLSConnectionError) {
        guard let sslContext = SSL_CTX_new(TLS_client_method()) else {
            throw TLSConnectionError(description: "OpenSSL cannot create a TLS context: \(Self.openSSLErrors())")
        }
        SSL_CTX_ctrl(sslContext, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
        SSL_CTX_set_verify(sslContext, SSL_VERIFY_PEER, nil)
        let loaded: Int32
        if let caFile {
            loaded = SSL_CTX_load_verify_locations(sslContext, caFile, nil)
        } else {
            loaded = SSL_CTX_set_default_verify_paths(sslContext)
        }
        guard loaded == 1, let ssl = SSL_new(sslContext), let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            let detail = Self.openSSLErrors()
            SSL_CTX_free(sslContext)
            throw TLSConnectionError(description: "cannot set up TLS (CA file \(caFile ?? "system default")): \(detail)")
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        SSL_set_connect_state(ssl)
        if Self.isIPAddress(host) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            host.withCString { name in
                _ = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: name))
            }
            SSL_set1_host(ssl, host)
        }
        self.host = host
        self.sslContext = sslContext
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs too
        SSL_CTX_free(sslContext)
    }

    func channelActive(context: ChannelHandlerContext) {
        advanceHandshake(context: context)
        context.fireChannelActive()
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
        if handshakeDone {
            readPlaintext(context: context)
        }
        sendCiphertext(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        guard handshakeDone else {
            waitingWrites.append((buffer, promise))
            return
        }
        encrypt(buffer, promise: promise, context: context)
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

    // MARK: - OpenSSL

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
                let verify = SSL_get_verify_result(ssl)
                var reason = "TLS handshake with \(host) failed: \(Self.openSSLErrors())"
                if verify != Int(X509_V_OK), let text = X509_verify_cert_error_string(verify) {
                    reason += " (certificate: \(String(cString: text)))"
                }
                fail(reason, context: context)
                return
            }
        }
        sendCiphertext(context: context)
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
                context.close(promise: nil)
                return
            }
            fail("TLS error from \(host): \(Self.openSSLErrors())", context: context)
            return
        }
    }

    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        let written = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
            return SSL_write(ssl, base, Int32(bytes.count))
        }
        if written < 0 || (written == 0 && buffer.readableBytes > 0) {
            promise?.fail(TLSConnectionError(description: "TLS write to \(host) failed: \(Self.openSSLErrors())"))
            return
        }
        sendCiphertext(context: context, promise: promise)
    }

    /// Sends whatever OpenSSL produced (handshake records, encrypted data, close_notify).
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
        context.fireErrorCaught(TLSConnectionError(description: reason))
        context.close(promise: nil)
    }

    private static func openSSLErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }

    private static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
