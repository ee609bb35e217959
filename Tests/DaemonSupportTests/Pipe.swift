import Glibc

/// A pipe whose read end tests drain after the code under test wrote to the write end.
struct Pipe {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { throw TestFailure("pipe failed: errno \(errno)") }
        readEnd = descriptors[0]
        writeEnd = descriptors[1]
    }

    /// Closes the write end and reads everything written. Writers must not have written more than the
    /// pipe holds (64 KiB on Linux), since nothing reads while they write.
    func closeAndReadAll() -> String {
        close(writeEnd)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        close(readEnd)
        return String(decoding: bytes, as: UTF8.self)
    }
}
