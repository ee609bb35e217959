#if canImport(Glibc)
import Glibc
#endif
import DaemonSupport

/// Secrets kept in files of their own, as systemd's `LoadCredential=` provides them: a relative name is looked
/// up in `$CREDENTIALS_DIRECTORY`, so no secret appears in the configuration file, the command line or `ps`.
enum CredentialFile {
    /// The path of `name`: absolute as given, relative under `$CREDENTIALS_DIRECTORY`, or beside the configuration
    /// file `source` when that is not set (a sysadmin's `--check-config` from a shell reads the files the unit's
    /// `LoadCredential=` lines name).
    static func resolve(_ name: String, environment: [String: String], source: String) -> String {
        if name.hasPrefix("/") { return name }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            return directory + "/" + name
        }
        guard let slash = source.lastIndex(of: "/") else { return name }
        return source[...slash] + name
    }

    /// The file's content without trailing line breaks and spaces; refuses an empty or oversized file.
    static func read(_ path: String, key: String, source: String) throws(ConfigError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigError(source: source, message: "key \"\(key)\": cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 4096 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigError(source: source, message: "key \"\(key)\": cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard bytes.count <= 4096 else {
            throw ConfigError(source: source, message: "key \"\(key)\": \(path) is larger than 4096 bytes; it should hold only the auth token")
        }
        while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw ConfigError(source: source, message: "key \"\(key)\": \(path) is empty")
        }
        guard let text = String(validating: bytes, as: UTF8.self), !text.contains(where: { $0.isNewline }) else {
            throw ConfigError(source: source, message: "key \"\(key)\": \(path) must hold the auth token on one line of UTF-8 text")
        }
        return text
    }
}
