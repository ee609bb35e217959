#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Who is on the other end of a Unix socket, as the kernel says (SO_PEERCRED): it cannot be forged by the peer.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid=\(pid) uid=\(uid) gid=\(gid)" }

    /// Reads the peer's credentials of a connected Unix stream socket channel.
    public static func of(_ channel: any Channel) async throws -> PeerCredentials {
        try await future(of: channel).get()
    }

    /// The same, as a future: usable in a channel initializer, before the channel is active.
    public static func future(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PeerCredentialsError.unsupportedChannel)
        }
        // `struct ucred { pid_t pid; uid_t uid; gid_t gid; }` (Glibc hides the struct behind _GNU_SOURCE; a
        // homogeneous tuple has the same layout).
        let value: EventLoopFuture<(Int32, UInt32, UInt32)> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return value.map { PeerCredentials(pid: $0.0, uid: $0.1, gid: $0.2) }
    }
}

public enum PeerCredentialsError: Error, CustomStringConvertible {
    case unsupportedChannel
    public var description: String { "the channel is not a socket; peer credentials are unavailable" }
}

/// Which local users may speak the bridge protocol: a peer is allowed if its uid or its gid is listed.
///
/// The socket file's mode (0660) already keeps others out; this check also holds when the socket is reachable
/// some other way (a too-wide mode, an inherited descriptor), and says in the log who was refused.
public struct PeerPolicy: Sendable, Hashable {
    public var allowedUIDs: Set<UInt32>
    public var allowedGIDs: Set<UInt32>

    public init(allowedUIDs: Set<UInt32>, allowedGIDs: Set<UInt32>) {
        self.allowedUIDs = allowedUIDs
        self.allowedGIDs = allowedGIDs
    }

    public func allows(_ peer: PeerCredentials) -> Bool {
        allowedUIDs.contains(peer.uid) || allowedGIDs.contains(peer.gid)
    }
}
