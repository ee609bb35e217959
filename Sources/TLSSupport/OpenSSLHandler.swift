import CRefdeskOpenSSL
import NIOCore

/// TLS done by OpenSSL through memory BIOs, so NIO keeps owning the socket; one handler for both ends.
///
/// Ciphertext from the peer is written into the read BIO and plaintext read out with `SSL_read`; plaintext writes
/// go through `SSL_write` and the write BIO's ciphertext is sent on as soon as it is produced. Writes made before
/// the handshake finishes wait for it; a failed handshake or record error is fired as a ``TLSError`` and closes
/// the connection (after sending OpenSSL's alert, if it wrote one). Closing sends close_notify.
public final class OpenSSLHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = IOData
    public typealias OutboundOut = ByteBuffer

    private let role: TLSRole
    private let sslContext: OpaquePointer
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private var handshakeDone = false
    private var failed = false
    private var waitingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []

    /// Builds this connection's own OpenSSL context and `SSL`, so no OpenSSL object is shared between event loops.
    public init(role: TLSRole) throws(TLSError) {
        let sslContext = try role.makeContext()
        guard let ssl = SSL_new(sslContext), let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            let detail = OpenSSLErrors.drain()
            SSL_CTX_free(sslContext)
            throw TLSError(description: role.setupFailure(detail))
        }
        SSL_set_bio(ssl, readBIO, writeBIO)
        role.prepare(ssl)
        self.role = role
        self.sslContext = sslContext
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs too
        SSL_CTX_free(sslContext)
    }

    public func channelActive(context: ChannelHandlerContext) {
        // A client sends its hello now; a server finds nothing to read yet and waits for the client's.
        advanceHandshake(context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(let buffer) = unwrapOutboundIn(data) else {
            promise?.fail(TLSError(description: "file regions cannot be sent over TLS"))
            return
        }
        guard handshakeDone else {
            waitingWrites.append((buffer, promise))
            return
        }
        encrypt(buffer, promise: promise, context: context)
    }

    public func flush(context: ChannelHandlerContext) {
        // Ciphertext is flushed as it is produced.
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
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
                fail(role.handshakeFailure(ssl), context: context)
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
                sendCiphertext(context: context)
                context.close(promise: nil)
                return
            }
            fail(role.readFailure(), context: context)
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
            promise?.fail(TLSError(description: role.writeFailure()))
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
        context.fireErrorCaught(TLSError(description: reason))
        context.close(promise: nil)
    }
}
