import Glibc

/// The address in `NOTIFY_SOCKET`: a filesystem path, or (with a leading `@`) a Linux abstract
/// socket name.
public enum NotifySocketAddress: Sendable, Equatable {
    case path(String)
    /// The name without the `@`; on the wire it starts with a NUL byte.
    case abstract(String)

    /// The most bytes `sun_path` can hold.
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// Parses the variable's value as systemd writes it; refuses relative paths and names that do not
    /// fit in a `sockaddr_un`.
    public init(parsing value: String) throws(SystemdNotifierError) {
        if value.hasPrefix("@") {
            let name = String(value.dropFirst())
            guard !name.isEmpty, name.utf8.count + 1 <= Self.capacity else {
                throw SystemdNotifierError("NOTIFY_SOCKET \"\(value)\" is not a usable abstract socket name")
            }
            self = .abstract(name)
        } else if value.hasPrefix("/") {
            guard value.utf8.count + 1 <= Self.capacity else {
                throw SystemdNotifierError("NOTIFY_SOCKET \"\(value)\" is longer than a socket path may be (\(Self.capacity - 1) bytes)")
            }
            self = .path(value)
        } else {
            throw SystemdNotifierError("NOTIFY_SOCKET \"\(value)\" is neither an absolute path nor an @abstract name")
        }
    }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes: [UInt8]
        switch self {
        case .path(let path): pathBytes = Array(path.utf8) + [0]
        case .abstract(let name): pathBytes = [0] + Array(name.utf8)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes.prefix(buffer.count))
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + min(pathBytes.count, Self.capacity))
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
