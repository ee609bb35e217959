import BridgeTransport
import DaemonSupport
import Metrics
import OSCAR

/// The AIM bridge's settings: the shared `[bridge]` section, then `[aim]` (see `config/aim.example.toml`).
struct AIMConfiguration: Sendable {
    var bridge: BridgeSettings
    /// The authorization (BUCP) server every screen name signs on through.
    var server: BOSEndpoint
    /// TLS on the login and BOS connections; nil for plain TCP.
    var tls: TLSSettings?
    /// Identifies this software in login requests (servers show it in their logs).
    var clientID: String = "refdesk"
    /// Ask the server to keep a reply for a patron who has signed off (ICBM TLV 0x06), as AIM clients did.
    var storeRepliesOffline = true
    /// How often an idle OSCAR connection sends a keepalive frame.
    var keepaliveInterval: Duration = .seconds(60)
    /// First and longest wait between sign-on attempts of one screen name.
    var reconnectInitial: Duration = .seconds(1)
    var reconnectMaximum: Duration = .seconds(300)
    /// The least wait after the server refused a login for too many attempts from this address.
    var loginLimitedWait: Duration = .seconds(65)
    /// How long an IM waits for the server's ack before it is sent again with the same cookie.
    var ackTimeout: Duration = .seconds(10)
    /// Where `/metrics` and `/healthz` are served (`metrics_listen`, a loopback `host:port`); nil: not at all.
    var metricsListen: ListenAddress?

    /// How TLS connections verify the server.
    struct TLSSettings: Sendable {
        /// PEM file of the certificate authorities to trust; nil trusts the system's store.
        var caFile: String?
    }

    static func load(path: String) throws(ConfigError) -> AIMConfiguration {
        var reader = ConfigReader(try ConfigDocument.load(path: path))
        return try AIMConfiguration(reading: &reader, source: path)
    }

    init(reading reader: inout ConfigReader, source: String) throws(ConfigError) {
        bridge = try BridgeSettings(reading: &reader, source: source, defaultSpool: "/var/lib/refdesk/aim-spool.sqlite")
        guard let address = try reader.string("aim.server") else {
            throw reader.invalid("aim.server", "is required: the \"host:port\" of the AIM login server")
        }
        do {
            server = try BOSEndpoint(parsing: address)
        } catch {
            throw reader.invalid("aim.server", "expected \"host:port\", got \"\(address)\" (\(error))")
        }
        let caFile = try reader.string("aim.tls_ca_file")
        if try reader.bool("aim.tls", default: false) {
            tls = TLSSettings(caFile: caFile?.isEmpty == true ? nil : caFile)
        } else if caFile != nil {
            throw reader.invalid("aim.tls_ca_file", "only used with tls = true")
        }
        clientID = try reader.string("aim.client_id", default: clientID)
        guard !clientID.isEmpty, clientID.utf8.count <= 200 else {
            throw reader.invalid("aim.client_id", "expected 1 to 200 bytes, got \(clientID.utf8.count)")
        }
        storeRepliesOffline = try reader.bool("aim.store_replies_offline", default: storeRepliesOffline)
        keepaliveInterval = try Self.positive(reader.duration("aim.keepalive", default: keepaliveInterval), "aim.keepalive", reader)
        reconnectInitial = try Self.positive(reader.duration("aim.reconnect_initial", default: reconnectInitial), "aim.reconnect_initial", reader)
        reconnectMaximum = try Self.positive(reader.duration("aim.reconnect_maximum", default: reconnectMaximum), "aim.reconnect_maximum", reader)
        guard reconnectMaximum >= reconnectInitial else {
            throw reader.invalid("aim.reconnect_maximum", "must not be shorter than aim.reconnect_initial")
        }
        loginLimitedWait = try Self.positive(
            reader.duration("aim.login_limited_wait", default: loginLimitedWait), "aim.login_limited_wait", reader
        )
        ackTimeout = try Self.positive(reader.duration("aim.ack_timeout", default: ackTimeout), "aim.ack_timeout", reader)
        if let listen = try reader.string("aim.metrics_listen"), !listen.isEmpty {
            do {
                metricsListen = try ListenAddress(parsing: listen)
            } catch {
                throw reader.invalid("aim.metrics_listen", "\(error)")
            }
        }
        try reader.rejectUnknownKeys()
    }

    private static func positive(_ value: Duration, _ key: String, _ reader: ConfigReader) throws(ConfigError) -> Duration {
        guard value > .zero else { throw reader.invalid(key, "must be longer than zero") }
        return value
    }
}
