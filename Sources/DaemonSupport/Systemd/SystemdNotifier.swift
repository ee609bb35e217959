import Glibc

/// A state change reported to systemd over the `sd_notify` protocol.
public enum SystemdNotification: Sendable, Equatable {
    /// Start-up finished (`Type=notify` units are "active" only after this).
    case ready
    /// Free-form status shown by `systemctl status`.
    case status(String)
    /// Keep-alive for `WatchdogSec=`.
    case watchdog
    /// Shutdown began.
    case stopping
    /// Reloading configuration; systemd requires the monotonic time at which it began
    /// (`Type=notify-reload`).
    case reloading(monotonicMicroseconds: UInt64)

    /// The `NAME=value` lines this notification is sent as.
    var assignments: [String] {
        switch self {
        case .ready: return ["READY=1"]
        case .status(let text):
            // One assignment per line: a newline in the status would start a bogus assignment.
            let flattened = String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
            return ["STATUS=\(flattened)"]
        case .watchdog: return ["WATCHDOG=1"]
        case .stopping: return ["STOPPING=1"]
        case .reloading(let microseconds): return ["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"]
        }
    }
}

/// Why a notification could not be sent.
public struct SystemdNotifierError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What failed, naming the socket and the system error.
    public var description: String

    /// Wraps a finished message.
    public init(_ description: String) {
        self.description = description
    }
}

/// Talks to systemd the way `sd_notify(3)` does, without linking libsystemd: each call sends one
/// datagram to the `AF_UNIX` socket named by `NOTIFY_SOCKET`.
///
/// When the daemon runs outside systemd (no `NOTIFY_SOCKET`), every call does nothing, so daemons can
/// notify unconditionally. The environment is read once, at initialisation.
public struct SystemdNotifier: Sendable {
    /// Where notifications go, or nil when not running under a notify-type unit.
    public let socketAddress: NotifySocketAddress?
    /// The watchdog timeout systemd enforces (`WatchdogSec=`), or nil when there is none for this
    /// process. Send ``watchdog()`` at least every half of it, as systemd recommends.
    public let watchdogInterval: Duration?
    private let addressProblem: SystemdNotifierError?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    /// `processID` decides whether a `WATCHDOG_PID` is about this process.
    public init(environment: [String: String], processID: Int32) {
        var address: NotifySocketAddress?
        var problem: SystemdNotifierError?
        if let value = environment["NOTIFY_SOCKET"], !value.isEmpty {
            do {
                address = try NotifySocketAddress(parsing: value)
            } catch {
                problem = error
            }
        }
        self.socketAddress = address
        self.addressProblem = problem
        self.watchdogInterval = Self.watchdogInterval(environment: environment, processID: processID)
    }

    /// Reads the variables of this process.
    public static func fromProcessEnvironment() -> SystemdNotifier {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) {
                environment[name] = String(cString: value)
            }
        }
        return SystemdNotifier(environment: environment, processID: getpid())
    }

    /// Whether notifications are sent anywhere (or fail, when `NOTIFY_SOCKET` is malformed).
    public var isEnabled: Bool {
        socketAddress != nil || addressProblem != nil
    }

    /// The watchdog timeout from `WATCHDOG_USEC`, unless `WATCHDOG_PID` names another process.
    static func watchdogInterval(environment: [String: String], processID: Int32) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else {
            return nil
        }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = Int32(pidText), pid == processID else { return nil }
        }
        return .microseconds(microseconds)
    }

    /// The datagram for `notifications`: their assignments, one per line.
    public static func datagram(for notifications: [SystemdNotification]) -> String {
        notifications.flatMap(\.assignments).joined(separator: "\n") + "\n"
    }

    // MARK: - Sending

    /// Start-up finished, optionally with a status line.
    public func ready(status: String? = nil) throws(SystemdNotifierError) {
        try send([.ready] + (status.map { [.status($0)] } ?? []))
    }

    /// Updates the line `systemctl status` shows, e.g. while reconnecting.
    public func status(_ text: String) throws(SystemdNotifierError) {
        try send([.status(text)])
    }

    /// Tells the watchdog the daemon is alive; call it from the loop whose stall should restart the daemon.
    public func watchdog() throws(SystemdNotifierError) {
        try send([.watchdog])
    }

    /// Shutdown began, so systemd does not take the coming silence for a hang.
    public func stopping() throws(SystemdNotifierError) {
        try send([.stopping])
    }

    /// Reloading began now; send ``ready(status:)`` when it is done.
    public func reloading() throws(SystemdNotifierError) {
        try send([.reloading(monotonicMicroseconds: Self.monotonicMicroseconds())])
    }

    /// Sends `notifications` in one datagram; does nothing when not running under systemd.
    public func send(_ notifications: [SystemdNotification]) throws(SystemdNotifierError) {
        if let addressProblem {
            throw addressProblem
        }
        guard let socketAddress else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw SystemdNotifierError("cannot create a socket for NOTIFY_SOCKET: \(describeErrno(errno))")
        }
        defer { close(descriptor) }
        let message = Array(Self.datagram(for: notifications).utf8)
        while true {
            let sent = message.withUnsafeBytes { buffer in
                socketAddress.withSocketAddress { address, length in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
            if sent >= 0 { return }
            let code = errno
            if code == EINTR { continue }
            throw SystemdNotifierError("cannot notify systemd at \(socketAddress.displayName): \(describeErrno(code))")
        }
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}

extension NotifySocketAddress {
    var displayName: String {
        switch self {
        case .path(let path): return path
        case .abstract(let name): return "@" + name
        }
    }
}
