import Glibc
import Synchronization

/// The system's compiled tz database: one TZif file per zone under `$TZDIR`, or
/// `/usr/share/zoneinfo` when `TZDIR` is unset (Debian's `tzdata` package).
///
/// The router reads it directly instead of through Foundation's `TimeZone`, which would link
/// Foundation and ICU into the daemon for this one question and cost about 8.5 MiB of resident
/// memory. The answers come from the same data `date` and the C library use, so they follow the
/// system's `tzdata` updates without a rebuild (after a restart: zones are cached, see below).
///
/// Zone names come from admins over the HTTP admin API, so a name is checked before it reaches the
/// file system: only `[A-Za-z0-9/_+-]`, at most 255 bytes, relative, and without empty
/// components (which, with `.` refused, rules out `..`). Parsed zones and unknown names are kept
/// in memory, so opening-hours checks on every tick read no files after the first.
public final class ZoneinfoDirectory: Sendable {
    /// The directory named by `TZDIR`, or `/usr/share/zoneinfo`; one instance, so one cache, for
    /// the whole process.
    public static let system = ZoneinfoDirectory(path: defaultPath(tzdir: getenv("TZDIR").map { String(cString: $0) }))

    /// `TZDIR` when it is set and not empty, as the C library reads it; otherwise `/usr/share/zoneinfo`.
    static func defaultPath(tzdir: String?) -> String {
        guard let tzdir, !tzdir.isEmpty else { return "/usr/share/zoneinfo" }
        return tzdir
    }

    /// How many names the cache holds at most; beyond it look-ups still work but read the file.
    /// The tz database has about 600 names, so only a stream of unknown names reaches it.
    static let cacheLimit = 4096

    /// The longest zone file read; real ones are a few kilobytes.
    static let maximumFileSize = 1 << 20

    let path: String
    /// Parsed zones by name; `nil` for names known not to be zones.
    let cache = Mutex<[String: ZoneRules?]>([:])

    /// A database rooted at `path`, a directory of TZif files.
    public init(path: String) {
        self.path = path
    }

    /// How far local time in `zone` is ahead of UTC at an instant, in seconds (negative west of
    /// Greenwich), or `nil` when `zone` is not an acceptable name or names no readable zone file.
    ///
    /// - Parameter milliseconds: the instant in milliseconds since 1970-01-01T00:00:00Z, the unit
    ///   of the router's timestamps. Zone files count whole seconds; the instant is rounded down to
    ///   its second, so 1 ms before a transition is still before it, before 1970 too.
    public func offsetFromUTC(in zone: String, atUnixMilliseconds milliseconds: Int64) -> Int? {
        let seconds = milliseconds / 1000 - (milliseconds % 1000 < 0 ? 1 : 0)
        return offsetFromUTC(in: zone, atUnixTime: seconds)
    }

    /// As ``offsetFromUTC(in:atUnixMilliseconds:)``, at `unixTime` seconds since 1970 UTC.
    func offsetFromUTC(in zone: String, atUnixTime unixTime: Int64) -> Int? {
        rules(for: zone).map { Int($0.offset(atUnixTime: unixTime)) }
    }

    /// The parsed zone called `name`, from the cache or read now.
    func rules(for name: String) -> ZoneRules? {
        guard Self.isAcceptableName(name) else { return nil }
        if let cached = cache.withLock({ $0[name] }) { return cached }
        let loaded = load(name)
        guard loaded.isCacheable else { return loaded.rules }
        cache.withLock { cache in
            if cache.count < Self.cacheLimit { cache[name] = loaded.rules }
        }
        return loaded.rules
    }

    /// Whether `name` may be used as a path below the database directory: non-empty, at most 255
    /// bytes, only `[A-Za-z0-9/_+-]`, not starting or ending with `/` and without `//`. As `.` is
    /// not allowed, neither `.` nor `..` components (nor NUL, `\` or spaces) can occur.
    static func isAcceptableName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        var previous: UInt8 = UInt8(ascii: "/")
        for byte in bytes {
            let allowed = switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"): true
            case UInt8(ascii: "/"): previous != UInt8(ascii: "/")
            default: false
            }
            guard allowed else { return false }
            previous = byte
        }
        return previous != UInt8(ascii: "/")
    }

    /// What reading a zone file gave, and whether the answer may be kept: a missing file or one
    /// that is not a zone stays so, while a failure such as too many open files may not.
    struct Loaded {
        var rules: ZoneRules?
        var isCacheable: Bool
    }

    func load(_ name: String) -> Loaded {
        switch readFile(path + "/" + name) {
        case .contents(let bytes):
            let rules = try? ZoneRules(parsing: bytes)
            return Loaded(rules: rules ?? Self.utcFallback(name), isCacheable: true)
        case .notAZoneFile:
            return Loaded(rules: Self.utcFallback(name), isCacheable: true)
        case .failed:
            return Loaded(rules: Self.utcFallback(name), isCacheable: false)
        }
    }

    /// `UTC` is the default zone; it works even where zoneinfo lacks (or has a bad) `UTC` file.
    static func utcFallback(_ name: String) -> ZoneRules? {
        name == "UTC" ? .utc : nil
    }

    enum ReadResult {
        case contents([UInt8])
        /// Missing, not a regular file, or too large to be a zone file.
        case notAZoneFile
        /// A failure that may pass (permissions, descriptors, I/O).
        case failed
    }

    /// Reads a whole regular file of at most ``maximumFileSize`` bytes. Non-blocking open, so a
    /// FIFO planted in the directory cannot stall the caller.
    func readFile(_ filePath: String) -> ReadResult {
        let descriptor = open(filePath, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            return code == ENOENT || code == ENOTDIR || code == ENAMETOOLONG || code == ELOOP ? .notAZoneFile : .failed
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failed }
        guard status.st_mode & S_IFMT == S_IFREG, status.st_size <= Self.maximumFileSize else { return .notAZoneFile }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= Self.maximumFileSize else { return .notAZoneFile }
        }
        return .contents(bytes)
    }
}
