import Glibc

/// Reading a configuration file from disk, with errors a sysadmin can act on.
enum ConfigFile {
    static func read(path: String, limit: Int) throws(ConfigError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigError(source: path, message: "cannot open the file: \(describeErrno(errno))")
        }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ConfigError(source: path, message: "cannot read the file: \(describeErrno(errno))")
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw ConfigError(source: path, message: "cannot read the file: it is a directory")
        }

        // Read at most one byte past the limit: enough to know the file is too large without
        // reading all of something hostile (or endless, like a FIFO).
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let wanted = min(chunk.count, limit + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, wanted)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigError(source: path, message: "cannot read the file: \(describeErrno(errno))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if bytes.count > limit {
            throw ConfigError(source: path, message: "the file is larger than the maximum \(limit) bytes")
        }
        return bytes
    }
}

/// The C library's text for an errno value, e.g. "No such file or directory".
func describeErrno(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
