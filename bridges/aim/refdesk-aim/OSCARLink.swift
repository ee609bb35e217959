import Logging
import NIOCore
import NIOPosix
import OSCAR

/// One TCP connection to an OSCAR server (authorization or BOS), as the worker sees it.
struct OSCARLink: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel

    /// Writes frames in one buffer; a failed write needs no handling here, because the connection's reader
    /// reports the close that follows.
    func write(_ frames: [FLAPFrame]) async -> Bool {
        var bytes: [UInt8] = []
        do {
            for frame in frames { try frame.encode(into: &bytes) }
        } catch {
            return false
        }
        do {
            try await outbound.write(ByteBuffer(bytes: bytes))
            return true
        } catch {
            return false
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Opens connections for a worker and turns everything that happens on them into its events.
enum OSCARConnector {
    /// Connects to `host:port` (through TLS when `tls` is set), then reports `.connected`, every read, and finally `.closed` to `post`, all
    /// tagged with `attempt` so the worker can ignore a connection it has already given up on. Returns when the
    /// connection is closed (by either side) or the task is cancelled.
    static func run(
        host: String, port: Int, tls: AIMConfiguration.TLSSettings?, attempt: Int, post: AsyncStream<GatewayEvent>.Continuation,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async {
        let connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            connection = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(15))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(TLSClientHandler(host: host, caFile: tls.caFile))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            post.yield(.closed(attempt: attempt, reason: "cannot connect to \(host):\(port): \(error)"))
            return
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                post.yield(.connected(attempt: attempt, OSCARLink(outbound: outbound, channel: connection.channel)))
                for try await buffer in inbound {
                    post.yield(.received(attempt: attempt, Array(buffer.readableBytesView)))
                }
            }
            post.yield(.closed(attempt: attempt, reason: "\(host):\(port) closed the connection"))
        } catch {
            post.yield(.closed(attempt: attempt, reason: "connection to \(host):\(port) failed: \(error)"))
        }
    }
}
