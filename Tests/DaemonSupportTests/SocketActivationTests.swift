import DaemonSupport
import Glibc
import Testing

@Suite("systemd: socket activation")
struct SocketActivationTests {
    static let validCases: [([String: String], [ListenedFileDescriptor])] = [
        (
            ["LISTEN_PID": "100", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "bridges:admin"],
            [ListenedFileDescriptor(fileDescriptor: 3, name: "bridges"), ListenedFileDescriptor(fileDescriptor: 4, name: "admin")]
        ),
        (
            ["LISTEN_PID": "100", "LISTEN_FDS": "1"],
            [ListenedFileDescriptor(fileDescriptor: 3, name: "unknown")]
        ),
        (
            ["LISTEN_PID": "100", "LISTEN_FDS": "2", "LISTEN_FDNAMES": ":x"],
            [ListenedFileDescriptor(fileDescriptor: 3, name: ""), ListenedFileDescriptor(fileDescriptor: 4, name: "x")]
        ),
        (["LISTEN_PID": "100", "LISTEN_FDS": "0", "LISTEN_FDNAMES": ""], []),
        (["LISTEN_PID": "999", "LISTEN_FDS": "2"], []),
        (["LISTEN_FDS": "2"], []),
        ([:], []),
    ]

    @Test("descriptors start at 3 and take their names from LISTEN_FDNAMES, for this process only", arguments: validCases)
    func parsing(environment: [String: String], expected: [ListenedFileDescriptor]) throws {
        #expect(try SocketActivation.parse(environment: environment, processID: 100) == expected)
    }

    static let malformedCases: [([String: String], String)] = [
        (["LISTEN_PID": "abc", "LISTEN_FDS": "1"], #"LISTEN_PID "abc" is not a process ID"#),
        (["LISTEN_PID": "100"], "LISTEN_PID is set but LISTEN_FDS is missing"),
        (["LISTEN_PID": "100", "LISTEN_FDS": "-1"], #"LISTEN_FDS "-1" is not a non-negative integer"#),
        (["LISTEN_PID": "100", "LISTEN_FDS": "two"], #"LISTEN_FDS "two" is not a non-negative integer"#),
        (["LISTEN_PID": "100", "LISTEN_FDS": "100000"], "LISTEN_FDS 100000 exceeds the maximum 4096"),
        (["LISTEN_PID": "100", "LISTEN_FDS": "3", "LISTEN_FDNAMES": "a:b"], "LISTEN_FDNAMES names 2 descriptors but LISTEN_FDS is 3"),
    ]

    @Test("a malformed environment is an error saying what is wrong", arguments: malformedCases)
    func malformed(environment: [String: String], expected: String) {
        #expect(throws: SocketActivationError(expected)) {
            try SocketActivation.parse(environment: environment, processID: 100)
        }
    }

    @Test("the process's variables are taken once: unset even when they are for another process")
    func unsetsVariables() throws {
        setenv("LISTEN_PID", String(getpid() + 1), 1)
        setenv("LISTEN_FDS", "1", 1)
        setenv("LISTEN_FDNAMES", "bridges", 1)
        #expect(try SocketActivation.listenFileDescriptors() == [])
        #expect(getenv("LISTEN_PID") == nil)
        #expect(getenv("LISTEN_FDS") == nil)
        #expect(getenv("LISTEN_FDNAMES") == nil)
    }
}
