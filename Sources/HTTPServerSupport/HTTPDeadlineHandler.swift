import NIOCore

/// The lower half of a listener's limits: sits under the HTTP codec (above TLS, when there is TLS), sees every byte
/// that arrives, and carries out the ``HTTPConnectionClock``'s actions with one timer on the channel's event loop.
///
/// It sits under the codec because a request can stall anywhere, even in its request line, where the codec has
/// nothing to show yet; the 408 answer is written from here as bytes for the same reason. The upper half,
/// ``HTTPRequestAssembler``, tells it when a request is complete and when its answer was sent.
final class HTTPDeadlineHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var clock: HTTPConnectionClock
    private let timeoutAnswer: [UInt8]
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    /// Closes asked for while draining, completed when the connection is closed after the linger time.
    private var heldClose: EventLoopPromise<Void>?

    init(timeouts: HTTPServerTimeouts, timeoutAnswer: HTTPTimeoutAnswer) {
        self.clock = HTTPConnectionClock(timeouts: timeouts)
        self.timeoutAnswer = timeoutAnswer.responseBytes
    }

    // MARK: From the upper half

    /// The assembler handed a whole request (or a refused one) to the server.
    func requestReceived() {
        perform(clock.requestReceived())
    }

    /// The head of a request was decoded: normally its bytes were already seen, but a pipelined request waits in
    /// the codec until the previous answer is sent, and its limit starts when it is let through.
    func requestStarted() {
        guard let context else { return }
        perform(clock.bytesReceived(at: context.eventLoop.now))
    }

    /// The server finished an answer (`refused`: to a request refused for its size).
    func responseSent(refused: Bool) {
        guard let context else { return }
        perform(clock.responseSent(at: context.eventLoop.now, refused: refused))
        keepDraining(context: context)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            perform(clock.connectionStarted(at: context.eventLoop.now))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if let held = heldClose {
            heldClose = nil
            context.close(promise: held)
        }
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(clock.connectionStarted(at: context.eventLoop.now))
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(clock.connectionClosed())
        heldClose?.succeed()
        heldClose = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(clock.bytesReceived(at: context.eventLoop.now))
        guard !clock.dropsInput else { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Once a connection times out, the 408 is the last thing said on it: the codec's own answer to the request
        // it was cut off in (a 400 when the close ends the request early) is not sent.
        guard !clock.dropsInput || clock.isDraining else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(data, promise: promise)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        keepDraining(context: context)
        context.fireChannelReadComplete()
    }

    /// While draining, this handler asks for the reads itself: the server above has stopped reading (it answered
    /// and may have let go of the connection), and bytes left unread would make the close a reset.
    private func keepDraining(context: ChannelHandlerContext) {
        if clock.isDraining {
            context.read()
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // A refused client may still be sending its body: closing now would reset the connection under the
        // answer, so the close waits for the end of the linger time.
        guard mode == .all, clock.isDraining else {
            context.close(mode: mode, promise: promise)
            return
        }
        if let promise {
            if let heldClose {
                heldClose.futureResult.cascade(to: promise)
            } else {
                heldClose = promise
            }
        }
    }

    // MARK: Carrying out the clock's actions

    private func perform(_ action: HTTPConnectionClock.Action) {
        guard let context else { return }
        switch action {
        case .none:
            break
        case .cancel:
            timer?.cancel()
            timer = nil
        case .schedule(let deadline):
            arm(deadline, context: context)
        case .close:
            timer?.cancel()
            timer = nil
            closeNow(context: context)
        case .answerTimeout(let closeBy):
            arm(closeBy, context: context)
            let channel = context.channel
            let answer = context.channel.allocator.buffer(bytes: timeoutAnswer)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(answer))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    private func arm(_ deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timer = nil
            guard let context = self.context else { return }
            self.perform(self.clock.timerFired(at: context.eventLoop.now))
        }
    }

    private func closeNow(context: ChannelHandlerContext) {
        let held = heldClose
        heldClose = nil
        context.close(mode: .all, promise: held)
    }
}
