import DaemonSupport
import Logging
import Testing

@Suite("Logging: JournalLogHandler")
struct JournalLogHandlerTests {
    struct SampleError: Error, CustomStringConvertible {
        var description: String { "disk full" }
    }

    @Test("events below the configured level are dropped; the rest become lines")
    func levelsAndLines() throws {
        let pipe = try Pipe()
        let writer = JournalWriter(fileDescriptor: pipe.writeEnd)
        var logger = Logger(label: "router") { label in
            JournalLogHandler(label: label, level: .notice, writer: writer)
        }
        logger[metadataKey: "instance"] = "main"
        logger.info("not shown")
        logger.notice("started", metadata: ["socket": "/run/refdesk/router.sock"])
        logger.error("cannot store message", error: SampleError(), metadata: ["queue": "general"])
        logger.logLevel = .debug
        logger.debug("now shown")

        let output = pipe.closeAndReadAll()
        #expect(
            output == """
                <5>started logger=router instance=main socket=/run/refdesk/router.sock
                <3>cannot store message logger=router error="disk full" instance=main queue=general
                <7>now shown logger=router instance=main

                """
        )
    }

    @Test("event metadata overrides provider metadata, which overrides handler metadata")
    func metadataPrecedence() throws {
        let pipe = try Pipe()
        let writer = JournalWriter(fileDescriptor: pipe.writeEnd)
        let provider = Logger.MetadataProvider { ["request": "from-provider", "trace": "t1"] }
        var logger = Logger(label: "aim") { label in
            JournalLogHandler(label: label, metadataProvider: provider, writer: writer)
        }
        logger[metadataKey: "request"] = "from-handler"
        logger[metadataKey: "trace"] = "from-handler"
        logger.info("hello", metadata: ["request": "from-event"])
        #expect(pipe.closeAndReadAll() == "<6>hello logger=aim request=from-event trace=t1\n")
    }

    @Test("lines from many tasks at once never interleave")
    func concurrentWritesStayWhole() async throws {
        let pipe = try Pipe()
        let writer = JournalWriter(fileDescriptor: pipe.writeEnd)
        let writers = 8
        let linesEach = 40
        // About 40 KiB in all: it fits in the pipe, so writers never wait for the reader.
        let padding = String(repeating: "x", count: 100)
        await withTaskGroup(of: Void.self) { group in
            for writerNumber in 0..<writers {
                group.addTask {
                    let logger = Logger(label: "w\(writerNumber)") { JournalLogHandler(label: $0, writer: writer) }
                    for lineNumber in 0..<linesEach {
                        logger.info("line \(lineNumber) \(padding)", metadata: ["n": "\(lineNumber)"])
                    }
                }
            }
        }
        let lines = pipe.closeAndReadAll().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == writers * linesEach + 1)
        #expect(lines.last == "")
        let expected = Set((0..<writers).flatMap { w in
            (0..<linesEach).map { n in "<6>line \(n) \(padding) logger=w\(w) n=\(n)" }
        })
        #expect(Set(lines.dropLast().map(String.init)) == expected)
    }
}
