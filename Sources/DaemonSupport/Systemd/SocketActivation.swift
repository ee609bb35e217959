import Glibc

/// A file descriptor passed by systemd socket activation, with its `FileDescriptorName=`.
public struct ListenedFileDescriptor: Sendable, Equatable {
    /// The descriptor number, from ``SocketActivation/firstFileDescriptor`` up.
    public var fileDescriptor: Int32
    /// From `LISTEN_FDNAMES`; `"unknown"` when systemd gave no names, as `sd_listen_fds_with_names` does.
    public var name: String

    /// Mostly for tests; real values come from ``SocketActivation``.
    public init(fileDescriptor: Int32, name: String) {
        self.fileDescriptor = fileDescriptor
        self.name = name
    }
}

/// A malformed socket-activation environment.
public struct SocketActivationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Which variable was wrong and how.
    public var description: String

    /// Wraps a finished message; used by the parser and by tests comparing errors.
    public init(_ description: String) {
        self.description = description
    }
}

/// Takes over listening sockets that systemd opened (`.socket` units), as `sd_listen_fds(3)` does,
/// without libsystemd. The router uses it so its socket exists, with the right owner and mode, before
/// the router starts, and survives restarts.
public enum SocketActivation {
    /// systemd passes descriptors from 3 up (after stdin, stdout and stderr).
    public static let firstFileDescriptor: Int32 = 3
    /// More than this is taken as a corrupt environment rather than trusted.
    public static let maximumFileDescriptors = 4096

    /// Interprets `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES`.
    ///
    /// Returns no descriptors when `LISTEN_PID` is absent or names another process (the variables were
    /// inherited, not meant for us). Throws when the variables are present but malformed.
    public static func parse(environment: [String: String], processID: Int32) throws(SocketActivationError) -> [ListenedFileDescriptor] {
        guard let pidText = environment["LISTEN_PID"] else { return [] }
        guard let pid = Int32(pidText), pid > 0 else {
            throw SocketActivationError("LISTEN_PID \"\(pidText)\" is not a process ID")
        }
        guard pid == processID else { return [] }
        guard let countText = environment["LISTEN_FDS"] else {
            throw SocketActivationError("LISTEN_PID is set but LISTEN_FDS is missing")
        }
        guard let count = Int(countText), count >= 0 else {
            throw SocketActivationError("LISTEN_FDS \"\(countText)\" is not a non-negative integer")
        }
        guard count <= maximumFileDescriptors else {
            throw SocketActivationError("LISTEN_FDS \(count) exceeds the maximum \(maximumFileDescriptors)")
        }
        let names: [String]
        if let namesText = environment["LISTEN_FDNAMES"] {
            names = namesText.isEmpty ? [] : namesText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard names.count == count else {
                throw SocketActivationError("LISTEN_FDNAMES names \(names.count) descriptors but LISTEN_FDS is \(count)")
            }
        } else {
            names = Array(repeating: "unknown", count: count)
        }
        return names.enumerated().map { offset, name in
            ListenedFileDescriptor(fileDescriptor: firstFileDescriptor + Int32(offset), name: name)
        }
    }

    /// The descriptors passed to this process. Unsets the three variables (whatever the outcome) so
    /// child processes cannot mistake them for their own, and marks the descriptors close-on-exec.
    public static func listenFileDescriptors() throws(SocketActivationError) -> [ListenedFileDescriptor] {
        let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
        var environment: [String: String] = [:]
        for name in variables {
            if let value = getenv(name) {
                environment[name] = String(cString: value)
            }
        }
        defer {
            for name in variables {
                unsetenv(name)
            }
        }
        let descriptors = try parse(environment: environment, processID: getpid())
        for descriptor in descriptors {
            let flags = fcntl(descriptor.fileDescriptor, F_GETFD)
            guard flags >= 0, fcntl(descriptor.fileDescriptor, F_SETFD, flags | FD_CLOEXEC) == 0 else {
                throw SocketActivationError("passed file descriptor \(descriptor.fileDescriptor) is unusable: \(describeErrno(errno))")
            }
        }
        return descriptors
    }
}
