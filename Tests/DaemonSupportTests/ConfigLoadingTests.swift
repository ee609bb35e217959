import DaemonSupport
import Testing

@Suite("Config files: loading from disk")
struct ConfigLoadingTests {
    @Test("a file on disk is read and errors name its path")
    func loadsFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(Array("[router]\nsocket = \"/run/x\"\n".utf8), to: "router.toml")
        var config = ConfigReader(try ConfigDocument.load(path: directory.file("router.toml")))
        #expect(try config.string("router.socket") == "/run/x")

        try directory.write(Array("[router]\nsocket /run/x\n".utf8), to: "broken.toml")
        do {
            _ = try ConfigDocument.load(path: directory.file("broken.toml"))
            Issue.record("a broken file was accepted")
        } catch {
            #expect(error.description.hasPrefix(directory.file("broken.toml") + ":2:8: expected '='"))
        }
    }

    @Test("a missing file is a clear error")
    func missingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("absent.toml")
        do {
            _ = try ConfigDocument.load(path: path)
            Issue.record("a missing file was loaded")
        } catch {
            #expect(error.description == "\(path): cannot open the file: No such file or directory")
        }
    }

    @Test("a directory is a clear error")
    func directoryInsteadOfFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            _ = try ConfigDocument.load(path: directory.path)
            Issue.record("a directory was loaded")
        } catch {
            #expect(error.description == "\(directory.path): cannot read the file: it is a directory")
        }
    }

    @Test("invalid UTF-8 on disk is located")
    func invalidUTF8OnDisk() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(Array("a = 1\nb = \"".utf8) + [0xFE] + Array("\"\n".utf8), to: "latin1.toml")
        do {
            _ = try ConfigDocument.load(path: directory.file("latin1.toml"))
            Issue.record("invalid UTF-8 was loaded")
        } catch {
            #expect(error.description == directory.file("latin1.toml") + ":2:6: invalid UTF-8 (byte 0xFE)")
        }
    }

    @Test("a file over the maximum size is refused without reading it all")
    func oversizedFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write([UInt8](repeating: UInt8(ascii: "#"), count: 3 * ConfigDocument.maximumInputBytes), to: "huge.toml")
        do {
            _ = try ConfigDocument.load(path: directory.file("huge.toml"))
            Issue.record("an oversized file was loaded")
        } catch {
            #expect(error.description == directory.file("huge.toml") + ": the file is larger than the maximum 1048576 bytes")
        }
    }
}
