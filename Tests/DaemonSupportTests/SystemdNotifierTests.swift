import DaemonSupport
import Glibc
import Testing

@Suite("systemd: sd_notify without libsystemd")
struct SystemdNotifierTests {
    @Test("notifications arrive as datagrams on a socket at a path")
    func pathSocket() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("notify.sock")
        let receiver = try DatagramReceiver(path: path)
        defer { receiver.close() }

        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path], processID: getpid())
        #expect(notifier.isEnabled)
        #expect(notifier.socketAddress == .path(path))

        try notifier.ready(status: "serving 3 gateways")
        #expect(try receiver.receive() == "READY=1\nSTATUS=serving 3 gateways\n")
        try notifier.watchdog()
        #expect(try receiver.receive() == "WATCHDOG=1\n")
        try notifier.status("reconnecting\nto AIM")
        #expect(try receiver.receive() == "STATUS=reconnecting to AIM\n")
        try notifier.stopping()
        #expect(try receiver.receive() == "STOPPING=1\n")
    }

    @Test("a leading @ names an abstract socket")
    func abstractSocket() throws {
        let name = "refdesk-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try DatagramReceiver(path: name, abstract: true)
        defer { receiver.close() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name], processID: getpid())
        #expect(notifier.socketAddress == .abstract(name))
        try notifier.ready()
        #expect(try receiver.receive() == "READY=1\n")
    }

    @Test("RELOADING=1 carries the current monotonic time in microseconds")
    func reloading() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try DatagramReceiver(path: directory.file("notify.sock"))
        defer { receiver.close() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": directory.file("notify.sock")], processID: getpid())

        let before = monotonicMicroseconds()
        try notifier.reloading()
        let after = monotonicMicroseconds()
        let lines = try receiver.receive().split(separator: "\n")
        #expect(lines.count == 2)
        try #require(lines.count == 2)
        #expect(lines[0] == "RELOADING=1")
        #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
        let stamp = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
        #expect((before...after).contains(stamp))
    }

    @Test("without NOTIFY_SOCKET every call does nothing")
    func disabled() throws {
        let notifier = SystemdNotifier(environment: [:], processID: getpid())
        #expect(!notifier.isEnabled)
        #expect(notifier.socketAddress == nil)
        try notifier.ready(status: "ignored")
        try notifier.watchdog()
        try notifier.stopping()
        try notifier.reloading()
    }

    @Test(
        "a malformed NOTIFY_SOCKET is reported when sending",
        arguments: [
            ("relative/path", #"NOTIFY_SOCKET "relative/path" is neither an absolute path nor an @abstract name"#),
            ("@", #"NOTIFY_SOCKET "@" is not a usable abstract socket name"#),
            ("/" + String(repeating: "a", count: 120), "is longer than a socket path may be (107 bytes)"),
        ]
    )
    func malformedAddress(value: String, fragment: String) {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": value], processID: getpid())
        #expect(notifier.isEnabled)
        do {
            try notifier.ready()
            Issue.record("sending to a malformed address succeeded")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    @Test("a socket nobody listens on is an error naming it")
    func nobodyListening() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("absent.sock")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path], processID: getpid())
        do {
            try notifier.ready()
            Issue.record("sending to a missing socket succeeded")
        } catch {
            #expect(error.description == "cannot notify systemd at \(path): No such file or directory")
        }
    }

    @Test("several notifications share one datagram, one assignment per line")
    func datagramFormat() {
        #expect(
            SystemdNotifier.datagram(for: [.ready, .status("ok"), .reloading(monotonicMicroseconds: 42), .watchdog, .stopping])
                == "READY=1\nSTATUS=ok\nRELOADING=1\nMONOTONIC_USEC=42\nWATCHDOG=1\nSTOPPING=1\n"
        )
    }

    static let watchdogCases: [([String: String], Duration?)] = [
        (["WATCHDOG_USEC": "30000000"], .seconds(30)),
        (["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "4242"], .milliseconds(500)),
        (["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1"], nil),
        (["WATCHDOG_USEC": "500000", "WATCHDOG_PID": "not a pid"], nil),
        (["WATCHDOG_USEC": "0"], nil),
        (["WATCHDOG_USEC": "-5"], nil),
        (["WATCHDOG_USEC": "soon"], nil),
        (["WATCHDOG_PID": "4242"], nil),
        ([:], nil),
    ]

    @Test("the watchdog interval comes from WATCHDOG_USEC, only if WATCHDOG_PID (when set) is this process", arguments: watchdogCases)
    func watchdogInterval(environment: [String: String], expected: Duration?) {
        let notifier = SystemdNotifier(environment: environment, processID: 4242)
        #expect(notifier.watchdogInterval == expected)
    }

    func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
