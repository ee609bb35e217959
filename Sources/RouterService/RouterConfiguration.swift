#if canImport(Glibc)
import Glibc
#endif
import DaemonSupport
import Logging

/// The router's settings, read from its TOML file (`config/router.example.toml` documents every key).
public struct RouterConfiguration: Sendable {
    /// The SQLite database holding all state.
    public var databasePath: String = "/var/lib/refdesk/router.sqlite"
    public var logLevel: Logger.Level = .info
    /// The Unix socket bridges connect to.
    public var bridgeSocket: String = "/run/refdesk/router.sock"
    public var bridgeSocketMode: UInt32 = 0o660
    /// Local users and groups allowed to speak the bridge protocol (by SO_PEERCRED).
    public var allowedUIDs: Set<UInt32> = [getuid()]
    public var allowedGIDs: Set<UInt32> = [getgid()]
    /// How long a queue's new presence must hold before gateways follow it.
    public var settleTime: Duration = .seconds(2)
    /// Country code assumed for phone numbers written without `+`.
    public var defaultCountryCode: String = "1"
    /// The XEP-0114 component connection; nil when `[xmpp]` has no domain (the router then serves bridges only).
    public var xmpp: XMPPSettings?

    public struct XMPPSettings: Sendable {
        public var host: String
        public var port: Int
        public var domain: String
        public var secret: String
    }

    public init() {}

    /// Reads and validates a configuration file; every error names the file, the key and what was wrong.
    public static func load(path: String) throws(ConfigError) -> RouterConfiguration {
        var reader = ConfigReader(try ConfigDocument.load(path: path))
        return try RouterConfiguration(reading: &reader, source: path)
    }

    public init(reading reader: inout ConfigReader, source: String) throws(ConfigError) {
        databasePath = try reader.string("router.database", default: databasePath)
        let level = try reader.string("router.log_level", default: "info")
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw ConfigError(
                source: source,
                message: "key \"router.log_level\": expected one of trace, debug, info, notice, warning, error, critical, got \"\(level)\""
            )
        }
        logLevel = parsedLevel
        bridgeSocket = try reader.string("bridges.socket", default: bridgeSocket)
        bridgeSocketMode = try reader.fileMode("bridges.socket_mode", default: bridgeSocketMode)
        let users = try reader.strings("bridges.allowed_users", default: [])
        let groups = try reader.strings("bridges.allowed_groups", default: [])
        if !users.isEmpty || !groups.isEmpty {
            allowedUIDs = Set(try users.map { name throws(ConfigError) in
                guard let uid = Self.userID(name) else {
                    throw ConfigError(source: source, message: "key \"bridges.allowed_users\": no user named \"\(name)\"")
                }
                return uid
            })
            allowedGIDs = Set(try groups.map { name throws(ConfigError) in
                guard let gid = Self.groupID(name) else {
                    throw ConfigError(source: source, message: "key \"bridges.allowed_groups\": no group named \"\(name)\"")
                }
                return gid
            })
        }
        settleTime = try reader.duration("presence.settle_time", default: settleTime)
        defaultCountryCode = try reader.string("presence.default_country_code", default: defaultCountryCode)
        guard !defaultCountryCode.isEmpty, defaultCountryCode.count <= 3, defaultCountryCode.allSatisfy(\.isNumber) else {
            throw ConfigError(
                source: source,
                message: "key \"presence.default_country_code\": expected 1 to 3 digits, got \"\(defaultCountryCode)\""
            )
        }
        if let domain = try reader.string("xmpp.domain") {
            let server = try reader.string("xmpp.server", default: "127.0.0.1:5347")
            guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw ConfigError(source: source, message: "key \"xmpp.server\": expected host:port, got \"\(server)\"")
            }
            let inline = try reader.string("xmpp.secret")
            let file = try reader.string("xmpp.secret_file")
            let secret: String
            switch (inline, file) {
            case (let value?, nil): secret = value
            case (nil, let path?): secret = try Self.readSecret(path, key: "xmpp.secret_file", source: source)
            case (nil, nil):
                throw ConfigError(source: source, message: "section [xmpp]: set secret_file (or secret) to the component secret of \(domain)")
            case (_?, _?):
                throw ConfigError(source: source, message: "section [xmpp]: set either secret or secret_file, not both")
            }
            xmpp = XMPPSettings(host: String(server[..<colon]), port: port, domain: domain, secret: secret)
        }
        try reader.rejectUnknownKeys()
    }

    /// Reads a secret from a file; a relative name is looked up in systemd's credentials directory
    /// (`LoadCredential=`), so the secret never sits in a unit file or on a command line.
    static func readSecret(_ name: String, key: String, source: String) throws(ConfigError) -> String {
        var path = name
        if !name.hasPrefix("/"), let directory = getenv("CREDENTIALS_DIRECTORY").map({ String(cString: $0) }) {
            path = directory + "/" + name
        }
        guard let file = fopen(path, "r") else {
            throw ConfigError(source: source, message: "key \"\(key)\": cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
            if bytes.count > 65536 {
                throw ConfigError(source: source, message: "key \"\(key)\": \(path) is too large for a secret")
            }
        }
        let whitespace: Set<Character> = [" ", "\n", "\r", "\t", "\r\n"]
        let text = String(decoding: bytes, as: UTF8.self)
        let secret = String(text.drop(while: whitespace.contains).reversed().drop(while: whitespace.contains).reversed())
        guard !secret.isEmpty else {
            throw ConfigError(source: source, message: "key \"\(key)\": \(path) is empty")
        }
        return secret
    }

    /// A user name or a numeric uid.
    static func userID(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        return getpwnam(name).map { $0.pointee.pw_uid }
    }

    /// A group name or a numeric gid.
    static func groupID(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        return getgrnam(name).map { $0.pointee.gr_gid }
    }
}
