#if canImport(Glibc)
import Glibc
#endif
import AdminAPI
import DaemonSupport
import Logging
import RefdeskCore

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
    /// The library's time zone: for times shown to librarians, and opening hours without a zone of their own.
    public var timeZone: String = "UTC"
    /// Canned replies librarians send with `/canned NAME`, from `[[canned]]` entries.
    public var cannedReplies: [String: String] = [:]
    /// Where `/metrics` and `/healthz` are served (`[router] metrics_listen`, a loopback `host:port`); nil: not at all.
    public var metricsListen: (host: String, port: Int)?
    /// The XEP-0114 component connection; nil when `[xmpp]` has no domain (the router then serves bridges only).
    public var xmpp: XMPPSettings?

    /// The admin API (`[admin]`); nil when no listener is configured.
    public var admin: AdminSettings?

    /// Where and how the admin API is served.
    public struct AdminSettings: Sendable {
        public var server: AdminServerSettings
        public var service: AdminServiceSettings
    }

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
        if let listen = try reader.string("router.metrics_listen"), !listen.isEmpty {
            var host = listen.lastIndex(of: ":").map { String(listen[..<$0]) } ?? ""
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, let port = listen.split(separator: ":").last.flatMap({ Int($0) }), (1...65535).contains(port) else {
                throw reader.invalid("router.metrics_listen", "expected host:port like \"127.0.0.1:9464\", got \"\(listen)\"")
            }
            metricsListen = (host, port)
        }
        let level = try reader.string("router.log_level", default: "info")
        guard let parsedLevel = Logger.Level(rawValue: level) else {
            throw reader.invalid("router.log_level", "expected one of trace, debug, info, notice, warning, error, critical, got \"\(level)\"")
        }
        logLevel = parsedLevel
        bridgeSocket = try reader.string("bridges.socket", default: bridgeSocket)
        bridgeSocketMode = try reader.fileMode("bridges.socket_mode", default: bridgeSocketMode)
        let users = try reader.strings("bridges.allowed_users", default: [])
        let groups = try reader.strings("bridges.allowed_groups", default: [])
        if !users.isEmpty || !groups.isEmpty {
            allowedUIDs = Set(try users.map { name throws(ConfigError) in
                guard let uid = Self.userID(name) else {
                    throw reader.invalid("bridges.allowed_users", "no user named \"\(name)\"")
                }
                return uid
            })
            allowedGIDs = Set(try groups.map { name throws(ConfigError) in
                guard let gid = Self.groupID(name) else {
                    throw reader.invalid("bridges.allowed_groups", "no group named \"\(name)\"")
                }
                return gid
            })
        }
        timeZone = try reader.string("router.time_zone", default: timeZone)
        if SystemTimeZones().offsetFromUTC(in: timeZone, at: .init(millisecondsSinceEpoch: 0)) == nil {
            throw reader.invalid("router.time_zone", "unknown time zone \"\(timeZone)\" (use an IANA name like \"America/Chicago\")")
        }
        for var entry in try reader.tables("canned") {
            let name = try entry.string("name"), text = try entry.string("text")
            guard let name, let text, !name.isEmpty, !text.isEmpty else {
                throw entry.invalid(text == nil ? "text" : "name", "each [[canned]] entry needs a non-empty name and text")
            }
            guard cannedReplies.updateValue(text, forKey: name.lowercased()) == nil else {
                throw entry.invalid("name", "the name \"\(name)\" is used twice")
            }
            try entry.rejectUnknownKeys()
        }
        settleTime = try reader.duration("presence.settle_time", default: settleTime)
        defaultCountryCode = try reader.string("presence.default_country_code", default: defaultCountryCode)
        guard !defaultCountryCode.isEmpty, defaultCountryCode.count <= 3, defaultCountryCode.allSatisfy(\.isNumber) else {
            throw reader.invalid("presence.default_country_code", "expected 1 to 3 digits, got \"\(defaultCountryCode)\"")
        }
        if let domain = try reader.string("xmpp.domain") {
            let server = try reader.string("xmpp.server", default: "127.0.0.1:5347")
            guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw reader.invalid("xmpp.server", "expected host:port, got \"\(server)\"")
            }
            let inline = try reader.string("xmpp.secret")
            let file = try reader.string("xmpp.secret_file")
            let secret: String
            switch (inline, file) {
            case (let value?, nil): secret = value
            case (nil, let path?):
                do {
                    secret = try Self.readSecret(path, key: "xmpp.secret_file", source: source)
                } catch {
                    throw reader.locate(error, at: "xmpp.secret_file")
                }
            case (nil, nil):
                throw reader.invalid("xmpp", "set secret_file (or secret) to the component secret of \(domain)")
            case (_?, _?):
                throw reader.invalid("xmpp.secret", "set either secret or secret_file, not both")
            }
            xmpp = XMPPSettings(host: String(server[..<colon]), port: port, domain: domain, secret: secret)
        }
        admin = try Self.readAdmin(&reader, source: source)
        try reader.rejectUnknownKeys()
    }

    /// `[admin]`: HTTPS listeners with a certificate and key (relative names are read from systemd's credentials
    /// directory), an optional cleartext listener that must be on loopback, and behaviour switches.
    static func readAdmin(_ reader: inout ConfigReader, source: String) throws(ConfigError) -> AdminSettings? {
        let listen = try reader.strings("admin.listen", default: [])
        let cleartext = try reader.strings("admin.cleartext_listen", default: [])
        let certificateFile = try reader.string("admin.certificate_file")
        let keyFile = try reader.string("admin.key_file")
        var service = AdminServiceSettings()
        service.returnSecrets = try reader.bool("admin.return_secrets", default: false)
        service.sessionLifetime = try reader.duration("admin.session_lifetime", default: service.sessionLifetime)
        service.hashIterations = try reader.int("admin.password_iterations", in: 100_000...10_000_000, default: service.hashIterations)
        let maximumBody = try reader.int("admin.max_body_bytes", in: 1024...(16 * 1024 * 1024), default: 64 * 1024)
        guard !listen.isEmpty || !cleartext.isEmpty else {
            if certificateFile != nil || keyFile != nil {
                throw reader.invalid("admin.certificate_file", "is set but admin.listen is empty; add listen = [\"0.0.0.0:8443\"]")
            }
            return nil
        }
        var listeners: [AdminServerSettings.Listener] = []
        for (addresses, tls, key) in [(listen, true, "admin.listen"), (cleartext, false, "admin.cleartext_listen")] {
            for address in addresses {
                guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
                    throw reader.invalid(key, "expected host:port, got \"\(address)\"")
                }
                var host = String(address[..<colon])
                if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                if !tls, !AdminServerSettings.isLoopback(host) {
                    throw reader.invalid("admin.cleartext_listen", "cleartext HTTP is only allowed on a loopback address (127.0.0.1, ::1), not \"\(host)\"")
                }
                listeners.append(.init(host: host, port: port, tls: tls))
            }
        }
        var identity: TLSServerIdentity?
        if !listen.isEmpty {
            guard let certificateFile, let keyFile else {
                throw reader.invalid(certificateFile == nil ? "admin.certificate_file" : "admin.key_file", "HTTPS (admin.listen) needs certificate_file and key_file (scripts/dev-certificate.sh makes a pair)")
            }
            let certificate: [UInt8], key: [UInt8]
            do {
                certificate = try readFile(certificateFile, key: "admin.certificate_file", source: source)
            } catch {
                throw reader.locate(error, at: "admin.certificate_file")
            }
            do {
                key = try readFile(keyFile, key: "admin.key_file", source: source)
            } catch {
                throw reader.locate(error, at: "admin.key_file")
            }
            do {
                identity = try TLSServerIdentity(certificatePEM: certificate, keyPEM: key)
            } catch {
                throw reader.invalid("admin.certificate_file", "\(certificateFile) and \(keyFile): \(error)")
            }
        }
        var server = AdminServerSettings(listeners: listeners, identity: identity)
        server.maximumBodyBytes = maximumBody
        return AdminSettings(server: server, service: service)
    }

    /// Where a file named in the configuration is: a relative name is looked up in systemd's credentials directory
    /// (`LoadCredential=`), so secrets never sit in a unit file or on a command line. Outside systemd (a sysadmin
    /// running `--check-config` or `--create-admin` from a shell) it is looked up beside the configuration file,
    /// where the unit's `LoadCredential=` lines take the credentials from.
    static func credentialPath(_ name: String, configurationFile: String) -> String {
        if name.hasPrefix("/") { return name }
        if let directory = getenv("CREDENTIALS_DIRECTORY").map({ String(cString: $0) }), !directory.isEmpty {
            return directory + "/" + name
        }
        guard let slash = configurationFile.lastIndex(of: "/") else { return name }
        return configurationFile[...slash] + name
    }

    /// Reads a whole (small) file named in the configuration (see `credentialPath`), refusing one larger than `limit`.
    static func readFile(
        _ name: String, key: String, source: String, limit: Int = 1 << 20, tooLarge: String = "is larger than 1 MiB"
    ) throws(ConfigError) -> [UInt8] {
        let path = credentialPath(name, configurationFile: source)
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
            if bytes.count > limit {
                throw ConfigError(source: source, message: "key \"\(key)\": \(path) \(tooLarge)")
            }
        }
        return bytes
    }

    /// Reads a secret from a file named in the configuration, without surrounding white space; refuses an empty one.
    static func readSecret(_ name: String, key: String, source: String) throws(ConfigError) -> String {
        let bytes = try readFile(name, key: key, source: source, limit: 65536, tooLarge: "is too large for a secret")
        let whitespace: Set<Character> = [" ", "\n", "\r", "\t", "\r\n"]
        let text = String(decoding: bytes, as: UTF8.self)
        let secret = String(text.drop(while: whitespace.contains).reversed().drop(while: whitespace.contains).reversed())
        guard !secret.isEmpty else {
            throw ConfigError(source: source, message: "key \"\(key)\": \(credentialPath(name, configurationFile: source)) is empty")
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
