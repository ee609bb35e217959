import BridgeTransport
import DaemonSupport
import Logging
import TwilioGateway

/// Everything `refdesk-twilio` reads from its configuration file: `[bridge]` (shared with every bridge) and
/// `[twilio]`. Auth tokens are read from their files here, so a missing credential stops the daemon at start.
struct TwilioSettings: Sendable {
    var bridge: BridgeSettings
    /// Where the webhook listener binds (plain HTTP; TLS is the reverse proxy's job).
    var listenHost: String
    var listenPort: Int
    /// The URL Twilio is told to call, without the endpoint name: `https://sms.example.org/refdesk`.
    /// Signatures are checked over this URL, so they validate behind a reverse proxy.
    var publicURL: String
    /// Twilio's REST API, without a trailing slash.
    var apiBase: String
    /// A PEM file of certificate authorities trusted for `apiBase` instead of the system's (a TLS-inspecting proxy
    /// between the library and Twilio; tests); `nil`: the system's.
    var apiCAFile: String?
    var segmentsPerSecond: Int
    var maximumBodyBytes: Int
    var retry: RetrySchedule
    /// A message still failing with retryable errors after this long is given up on.
    var giveUpAfter: Duration
    /// Auth tokens by Account SID. Never logged.
    var authTokens: [String: String]

    /// The signed URL of the incoming-message endpoint.
    var smsURL: String { publicURL + "/sms" }
    /// The signed URL of the status-callback endpoint (sent to Twilio as `StatusCallback`).
    var statusURL: String { publicURL + "/status" }

    static let defaultPath = "/etc/refdesk/twilio.toml"

    /// Reads and checks the file at `path`; `environment` supplies `CREDENTIALS_DIRECTORY`.
    static func load(path: String, environment: [String: String]) throws(ConfigError) -> TwilioSettings {
        let document = try ConfigDocument.load(path: path)
        var reader = ConfigReader(document)
        let bridge = try BridgeSettings(reading: &reader, source: path, defaultSpool: "/var/lib/refdesk/twilio-spool.sqlite")

        let listen = try reader.string("twilio.listen", default: "127.0.0.1:8081")
        guard let (host, port) = Self.hostAndPort(listen) else {
            throw reader.invalid("twilio.listen", "expected \"host:port\" such as \"127.0.0.1:8081\", got \"\(listen)\"")
        }
        guard var publicURL = try reader.string("twilio.public_url") else {
            throw reader.invalid("twilio.public_url", "is required: the https URL Twilio calls, e.g. \"https://sms.example.org/refdesk\"")
        }
        while publicURL.hasSuffix("/") { publicURL.removeLast() }
        guard Self.isHTTPURL(publicURL) else {
            throw reader.invalid("twilio.public_url", "expected an http:// or https:// URL without spaces, query or fragment, got \"\(publicURL)\"")
        }
        var apiBase = try reader.string("twilio.api_base", default: "https://api.twilio.com")
        while apiBase.hasSuffix("/") { apiBase.removeLast() }
        guard Self.isHTTPURL(apiBase) else {
            throw reader.invalid("twilio.api_base", "expected an http:// or https:// URL, got \"\(apiBase)\"")
        }
        let apiCAFile = try reader.string("twilio.api_ca_file")
        let segmentsPerSecond = try reader.int("twilio.segments_per_second", in: 1...10_000, default: 1)
        let maximumBodyBytes = try reader.int("twilio.max_body_bytes", in: 1024...(1 << 20), default: 64 * 1024)
        let retryInitial = try reader.duration("twilio.retry_initial", default: .seconds(1))
        let retryMaximum = try reader.duration("twilio.retry_maximum", default: .seconds(300))
        guard retryInitial > .zero, retryMaximum >= retryInitial else {
            throw reader.invalid("twilio.retry_maximum", "need 0 < retry_initial <= retry_maximum")
        }
        let giveUpAfter = try reader.duration("twilio.give_up_after", default: .seconds(24 * 3600))

        var tokens: [String: String] = [:]
        for var account in try reader.tables("twilio.account") {
            guard let sid = try account.string("sid") else {
                throw account.invalid("sid", "is required")
            }
            guard TwilioSID.isValid(sid, prefixes: TwilioSID.accountPrefixes) else {
                throw account.invalid("sid", "expected 'AC' followed by 32 hexadecimal digits, got \"\(sid)\"")
            }
            guard tokens[sid] == nil else {
                throw account.invalid("sid", "account \(sid) is configured twice")
            }
            guard let tokenFile = try account.string("auth_token_file") else {
                throw account.invalid("auth_token_file", "is required (the auth token is never written in this file)")
            }
            try account.rejectUnknownKeys()
            let name = "twilio.account[\(tokens.count + 1)].auth_token_file"
            do {
                let resolved = try CredentialFile.resolve(tokenFile, environment: environment, source: path)
                tokens[sid] = try CredentialFile.read(resolved, key: name, source: path)
            } catch {
                throw account.locate(error, at: "auth_token_file")
            }
        }
        try reader.rejectUnknownKeys()
        guard !tokens.isEmpty else {
            throw ConfigError(source: path, message: "no [[twilio.account]] entries: at least one account (sid and auth_token_file) is required")
        }
        return TwilioSettings(
            bridge: bridge, listenHost: host, listenPort: port, publicURL: publicURL, apiBase: apiBase, apiCAFile: apiCAFile,
            segmentsPerSecond: segmentsPerSecond, maximumBodyBytes: maximumBodyBytes,
            retry: RetrySchedule(initial: retryInitial, maximum: retryMaximum), giveUpAfter: giveUpAfter, authTokens: tokens
        )
    }

    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        return (host, port)
    }

    static func isHTTPURL(_ text: String) -> Bool {
        (text.hasPrefix("https://") || text.hasPrefix("http://")) && text.count > 8
            && !text.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" })
    }
}
