#if canImport(Glibc)
import Glibc
#endif

/// Plain lines for a command's own output (`--check-config`, start-up errors before logging exists).
public enum FileOutput {
    public static func standardOutput(_ line: String) { write(line, to: 1) }
    public static func standardError(_ line: String) { write(line, to: 2) }

    private static func write(_ line: String, to descriptor: Int32) {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written <= 0 { return }
            offset += written
        }
    }
}
