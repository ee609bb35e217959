import Glibc
import Synchronization

/// Writes whole lines to a file descriptor, one `write(2)` per line under a lock.
///
/// journald (like any reader of a pipe or stream socket) sees interleaved bytes if two threads write
/// parts of lines at once; a single write of the complete line, serialised by the lock, keeps every
/// event intact. Short writes are continued (still under the lock); lines that cannot be written
/// (closed descriptor, full non-blocking pipe) are dropped, since logging must never stop a daemon.
public final class JournalWriter: Sendable {
    /// The process's standard error, shared by every handler that logs there.
    public static let standardError = JournalWriter(fileDescriptor: STDERR_FILENO)

    private let fileDescriptor: Int32
    private let lock = Mutex(())

    /// The writer does not own `fileDescriptor` and never closes it.
    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    /// Writes `line` and a newline. `line` should not contain newlines (``JournalLineFormat`` ensures it).
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(fileDescriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}
