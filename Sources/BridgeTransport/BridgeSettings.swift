#if canImport(Glibc)
import Glibc
#endif
import DaemonSupport
import Logging

/// The `[bridge]` section every bridge daemon's config file shares: where the router is, where the spool lives.
///
/// ```toml
/// [bridge]
/// router_socket = "/run/refdesk/router.sock"
/// spool = "/var/lib/refdesk/twilio-spool.sqlite"
/// instance = "sms1"          # shown in the router's logs; default: the host name
/// log_level = "info"
/// ```
public struct BridgeSettings: Sendable {
    public var routerSocket: String = "/run/refdesk/router.sock"
    public var spoolPath: String
    public var instance: String
    public var logLevel: Logger.Level = .info

    /// Reads the `[bridge]` keys; the caller reads its own sections and then calls `rejectUnknownKeys()`.
    public init(reading reader: inout ConfigReader, source: String, defaultSpool: String) throws(ConfigError) {
        routerSocket = try reader.string("bridge.router_socket", default: routerSocket)
        spoolPath = try reader.string("bridge.spool", default: defaultSpool)
        instance = try reader.string("bridge.instance", default: Self.hostName())
        let level = try reader.string("bridge.log_level", default: "info")
        guard let parsed = Logger.Level(rawValue: level) else {
            throw reader.invalid("bridge.log_level", "expected one of trace, debug, info, notice, warning, error, critical, got \"\(level)\"")
        }
        logLevel = parsed
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "bridge" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
