import Foundation
import Logging
import RefdeskStore
import Synchronization

/// A logger that discards everything: tests never bootstrap the logging system.
let quietLogger = Logger(label: "refdesk.store.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A fresh directory for one test's database files, removed afterwards.
struct ScratchDirectory: ~Copyable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("refdesk-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }
}

/// Opens a database with the router schema, as the router does.
func openRouterDatabase(_ path: String) throws -> SQLiteConnection {
    try SQLiteConnection.openDatabase(at: path, migrations: RouterSchema.migrations, logger: quietLogger)
}

/// Opens a database with the spool schema, as a bridge does.
func openSpool(_ path: String) throws -> SQLiteConnection {
    try SQLiteConnection.openDatabase(at: path, migrations: SpoolSchema.migrations, logger: quietLogger)
}

func fileBytes(_ path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}

/// Polls `condition` until it holds, failing after `timeout` so a broken test cannot hang.
func eventually(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while !condition() {
        if clock.now >= deadline { return false }
        try await Task.sleep(for: .milliseconds(1))
    }
    return true
}

/// A one-way signal between a test and a closure running on the database thread.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }

    /// Blocks the calling thread (the database thread, holding it as a long fsync would) until the flag is set, or
    /// 30 s have passed so a failing test cannot hang.
    func waitBlocking() {
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !isSet && ContinuousClock.now < deadline { usleep(1000) }
    }
}
