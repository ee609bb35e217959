import BridgeProtocol
import Logging
import NIOCore
import Synchronization

/// Timings and limits of one bridge connection; the defaults are the ones `docs/bridge-protocol.md` promises.
public struct BridgeSessionConfiguration: Sendable {
    /// How often a ping is sent, so a silent peer is noticed and an idle peer knows we are alive.
    public var pingInterval: Duration = .seconds(10)
    /// A connection on which nothing at all arrived for this long is closed.
    public var idleTimeout: Duration = .seconds(30)
    /// How long the router waits for `hello` before it closes a new connection.
    public var handshakeTimeout: Duration = .seconds(5)
    /// Reliable frames sent but not yet acknowledged, per connection; the rest wait in the sender's store.
    public var maximumInFlight: Int = 512
    public var maximumFrameLength: Int = BridgeFrameLimits.maximumFrameLength

    public init() {}
}

/// What a session needs from the side that owns it: durable storage for both directions.
///
/// The session never keeps a reliable frame only in memory: frames to send are read from the owner's store
/// (`pendingReliable`) and deleted only when the peer acks them (`acknowledged`); frames received are handed to
/// `receiveReliable` and acked only after it returned, i.e. after they are durable.
public protocol BridgeSessionDelegate: Sendable {
    /// Makes a run of reliable frames from the peer durable (dropping ids already seen) before returning.
    /// The frames arrive in the order the peer sent them.
    func receiveReliable(_ messages: [BridgeMessage]) async throws
    /// Takes a run of reliable frames like `receiveReliable`, but may return once their effects are decided and
    /// queued for durability, in order; the returned wait ends when they are durable. The session acks them only
    /// then, and reads the next frames meanwhile, so one connection's runs can share a commit. The default waits in
    /// `receiveReliable`.
    func submitReliable(_ messages: [BridgeMessage]) async throws -> DurableWait
    /// A control frame from the peer (gateway state, attach/detach, online/offline, …).
    func receiveControl(_ message: BridgeMessage) async throws
    /// Reliable frames waiting to be sent, oldest first, with a sequence number greater than `afterSequence`.
    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage]
    /// The peer acknowledged these ids: they may be forgotten.
    func acknowledged(ids: [String]) async throws
}

/// Ends once frames handed to ``BridgeSessionDelegate/submitReliable(_:)`` are durable; throws when they cannot be.
public typealias DurableWait = @Sendable () async throws -> Void

extension BridgeSessionDelegate {
    public func submitReliable(_ messages: [BridgeMessage]) async throws -> DurableWait {
        try await receiveReliable(messages)
        return {}
    }
}

/// A reliable frame as it waits in a sender's store.
public struct SequencedMessage: Sendable {
    public var sequence: Int64
    public var message: BridgeMessage
    public init(sequence: Int64, message: BridgeMessage) {
        self.sequence = sequence
        self.message = message
    }
}

/// Why a session ended; logged by the owner.
public enum BridgeSessionEnd: Error, Sendable, CustomStringConvertible {
    case peerClosed
    case peerSaidGoodbye(GoodbyeCode, reason: String)
    case badFrame(BridgeProtocolError)
    case idleTimeout(Duration)
    case protocolViolation(String)
    case closedLocally(String)

    public var description: String {
        switch self {
        case .peerClosed: "the peer closed the connection"
        case .peerSaidGoodbye(let code, let reason): "the peer said goodbye (\(code)): \(reason)"
        case .badFrame(let error): "bad frame: \(error.reason)"
        case .idleTimeout(let timeout): "nothing received for \(timeout)"
        case .protocolViolation(let reason): "protocol violation: \(reason)"
        case .closedLocally(let reason): "closed: \(reason)"
        }
    }
}

/// One established bridge connection (after the handshake), the same on the router and the bridge side.
///
/// Runs its loops under one task group: the reader (in the calling task), the reliable sender (resends everything
/// unacked from the owner's store, keeps at most `maximumInFlight` unacked), the acker (acks the peer's frames once
/// durable, in order, while the reader goes on), the control sender and the pinger. The first loop to end
/// ends the session and closes the connection; the owner reconnects (bridge) or waits for a new one (router).
public final class BridgeSession: Sendable {
    public let peerDescription: String
    /// The protocol version agreed in the handshake: frames newer than it are neither sent nor accepted.
    public let version: UInt16
    private let configuration: BridgeSessionConfiguration
    private let delegate: any BridgeSessionDelegate
    private let logger: Logger
    private let state = Mutex(State())
    private let wakeSender: AsyncStream<Void>.Continuation
    private let wakeStream: AsyncStream<Void>
    private let controlContinuation: AsyncStream<BridgeMessage>.Continuation
    private let controlStream: AsyncStream<BridgeMessage>
    /// Wakes the acker when a run of the peer's frames was handed over (the runs wait in `State.unacked`).
    private let wakeAcker: AsyncStream<Void>.Continuation
    private let ackerWakes: AsyncStream<Void>

    private struct PendingAck: Sendable {
        let ids: [String]
        let durable: DurableWait
    }

    private struct State {
        var inFlight: Set<String> = []
        var lastReceived = ContinuousClock.now
        var closeReason: String?
        /// Runs of the peer's reliable frames handed over and not yet acked, in the order they arrived. Bounded by
        /// the peer's window (`maximumInFlight` frames unacked) and by how many commits the owner lets wait.
        var unacked: [PendingAck] = []
    }

    public init(
        peerDescription: String,
        version: UInt16 = BridgeProtocolVersion.current,
        configuration: BridgeSessionConfiguration,
        delegate: any BridgeSessionDelegate,
        logger: Logger
    ) {
        self.peerDescription = peerDescription
        self.version = version
        self.configuration = configuration
        self.delegate = delegate
        self.logger = logger
        (self.wakeStream, self.wakeSender) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (self.ackerWakes, self.wakeAcker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // Control frames are small and rare (gateway changes); bound them anyway.
        (self.controlStream, self.controlContinuation) = AsyncStream.makeStream(
            of: BridgeMessage.self,
            bufferingPolicy: .bufferingOldest(4096)
        )
    }

    /// Queues a control frame (attach/detach/online, gateway state, goodbye) for sending. A frame the peer's
    /// version does not know (a `chatState` to a version-1 peer) is not sent: such frames only add to what the
    /// older protocol carries.
    public func send(_ message: BridgeMessage) {
        guard message.frameType.introducedIn <= version else {
            logger.debug("frame not sent: the peer speaks an older protocol version", metadata: ["frame": "\(message.frameType.name)", "version": "\(version)"])
            return
        }
        if case .dropped = controlContinuation.yield(message) {
            logger.warning("control frame dropped: send queue full", metadata: ["peer": "\(peerDescription)"])
        }
    }

    /// Tells the sender that the owner's store has new reliable frames.
    public func outboxChanged() {
        wakeSender.yield()
    }

    /// Ends the session: says goodbye with `code` and closes the connection.
    public func close(_ code: GoodbyeCode, reason: String) {
        state.withLock { $0.closeReason = reason }
        controlContinuation.yield(.goodbye(code, reason: reason))
        controlContinuation.finish()
    }

    /// Runs the session until the connection ends; always throws the reason it ended.
    ///
    /// The reader runs in the calling task; the writers run as child tasks. A writer that ends for its own reason
    /// (idle timeout, goodbye sent, write failed) closes `channel`, which ends the reader; the reader's end cancels
    /// the writers.
    public func run(
        reader: inout FrameReader,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel
    ) async -> BridgeSessionEnd {
        state.withLock { $0.lastReceived = .now }
        return await withTaskGroup(of: BridgeSessionEnd?.self) { group in
            group.addTask { await Self.closing(channel, after: self.sendReliableLoop(outbound)) }
            group.addTask { await Self.closing(channel, after: self.controlLoop(outbound)) }
            group.addTask { await Self.closing(channel, after: self.pingLoop(outbound)) }
            group.addTask { await Self.closing(channel, after: self.ackLoop(outbound)) }
            let readerEnd = await self.readLoop(&reader, outbound)
            group.cancelAll()
            channel.close(promise: nil)
            var firstWriterEnd: BridgeSessionEnd?
            for await end in group where firstWriterEnd == nil { firstWriterEnd = end }
            if case .peerClosed = readerEnd, let firstWriterEnd { return firstWriterEnd }
            if case .closedLocally = readerEnd, let firstWriterEnd { return firstWriterEnd }
            return readerEnd
        }
    }

    /// Closes the channel when a writer loop ended for its own reason (nil means it was cancelled).
    private static func closing(_ channel: any Channel, after end: BridgeSessionEnd?) -> BridgeSessionEnd? {
        if end != nil { channel.close(promise: nil) }
        return end
    }

    // MARK: reading

    private func readLoop(
        _ reader: inout FrameReader,
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async -> BridgeSessionEnd {
        do {
            while let batch = try await reader.nextBatch() {
                state.withLock { $0.lastReceived = .now }
                try await handle(batch, outbound)
            }
            return .peerClosed
        } catch let end as BridgeSessionEnd {
            switch end {
            case .badFrame(let error):
                try? await outbound.write(FrameWriter.encode([.goodbye(.badFrame, reason: error.reason)]))
            case .protocolViolation(let reason):
                try? await outbound.write(FrameWriter.encode([.goodbye(.protocolViolation, reason: reason)]))
            default:
                break
            }
            return end
        } catch {
            if let reason = state.withLock({ $0.closeReason }) { return .closedLocally(reason) }
            return .closedLocally("\(error)")
        }
    }

    /// Handles one read's worth of frames in order; consecutive reliable frames are made durable together and
    /// acknowledged with a single ack frame.
    private func handle(_ batch: [BridgeMessage], _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var reliableRun: [BridgeMessage] = []
        func flushReliable() async throws {
            guard !reliableRun.isEmpty else { return }
            let durable = try await delegate.submitReliable(reliableRun)
            let ids = reliableRun.compactMap(\.reliableID)
            reliableRun.removeAll(keepingCapacity: true)
            state.withLock { $0.unacked.append(PendingAck(ids: ids, durable: durable)) }
            wakeAcker.yield()
        }
        for message in batch {
            if message.frameType.introducedIn > version {
                throw BridgeSessionEnd.protocolViolation("\(message.kindName) is not part of protocol version \(version), agreed for this connection")
            }
            if message.reliableID != nil {
                reliableRun.append(message)
                continue
            }
            try await flushReliable()
            switch message {
            case .ping(let nonce):
                try await outbound.write(FrameWriter.encode([.pong(nonce: nonce)]))
            case .pong:
                break
            case .ack(let ids):
                let known = state.withLock { state in ids.filter { state.inFlight.remove($0) != nil } }
                try await delegate.acknowledged(ids: ids)
                if !known.isEmpty { wakeSender.yield() }
            case .goodbye(let code, let reason):
                throw BridgeSessionEnd.peerSaidGoodbye(code, reason: reason)
            case .hello, .welcome:
                throw BridgeSessionEnd.protocolViolation("handshake frame after the handshake")
            default:
                try await delegate.receiveControl(message)
            }
        }
        try await flushReliable()
    }

    // MARK: writing

    private func sendReliableLoop(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async -> BridgeSessionEnd? {
        var lastSequence: Int64 = 0
        var wake = wakeStream.makeAsyncIterator()
        do {
            while !Task.isCancelled {
                let room = configuration.maximumInFlight - state.withLock { $0.inFlight.count }
                if room > 0 {
                    let batch = try await delegate.pendingReliable(afterSequence: lastSequence, limit: room)
                    if let last = batch.last {
                        let ids = batch.compactMap(\.message.reliableID)
                        state.withLock { $0.inFlight.formUnion(ids) }
                        try await outbound.write(FrameWriter.encode(batch.map(\.message)))
                        lastSequence = last.sequence
                        continue
                    }
                }
                guard await wake.next() != nil else { break }
            }
            return nil
        } catch {
            return .closedLocally("sending failed: \(error)")
        }
    }

    /// Acks the peer's runs of reliable frames in the order they came, once durable: all the runs waiting when it
    /// wakes go in one ack (runs handed over while it waited go in the next), so a busy peer gets about one ack per
    /// commit, not one per run. A run that cannot be made durable ends the session unacked: the peer sends it again
    /// after reconnecting.
    private func ackLoop(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async -> BridgeSessionEnd? {
        for await _ in ackerWakes {
            let runs = state.withLock { state in
                defer { state.unacked.removeAll() }
                return state.unacked
            }
            guard !runs.isEmpty else { continue }
            for run in runs {
                do {
                    try await run.durable()
                } catch {
                    return .closedLocally("frames from the peer could not be made durable: \(error)")
                }
            }
            do {
                try await outbound.write(FrameWriter.encode([.ack(ids: runs.flatMap(\.ids))]))
            } catch {
                return .closedLocally("sending failed: \(error)")
            }
        }
        return nil
    }

    private func controlLoop(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async -> BridgeSessionEnd? {
        do {
            for await message in controlStream {
                try await outbound.write(FrameWriter.encode([message]))
                if case .goodbye(_, let reason) = message {
                    return .closedLocally(reason)
                }
            }
            return nil
        } catch {
            return .closedLocally("sending failed: \(error)")
        }
    }

    private func pingLoop(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async -> BridgeSessionEnd? {
        var nonce: UInt64 = 0
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.pingInterval)
            } catch {
                return nil
            }
            let silence = ContinuousClock.now - state.withLock { $0.lastReceived }
            if silence > configuration.idleTimeout {
                return .idleTimeout(configuration.idleTimeout)
            }
            nonce &+= 1
            do {
                try await outbound.write(FrameWriter.encode([.ping(nonce: nonce)]))
            } catch {
                return .closedLocally("sending failed: \(error)")
            }
        }
        return nil
    }
}
