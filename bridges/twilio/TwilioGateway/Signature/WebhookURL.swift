/// The spellings of a webhook URL that Twilio may have signed.
///
/// Twilio documents that it is not consistent about the port: a request to
/// `https://example.org/sms` may be signed over `https://example.org:443/sms` and the other
/// way round. The official validators therefore accept a signature made over the URL with
/// the default port written out or left off; this type produces those spellings.
enum WebhookURL {
    /// The URL as given, then without its port, then with the scheme's default port.
    static func signingCandidates(_ url: String) -> [String] {
        var candidates = [url]
        guard let parts = split(url) else { return candidates }
        let withoutPort = parts.prefix + parts.host + parts.suffix
        let defaultPort: String? = switch parts.scheme {
        case "https": "443"
        case "http": "80"
        default: nil
        }
        let withPort: String? = parts.port != nil ? url : defaultPort.map { parts.prefix + parts.host + ":" + $0 + parts.suffix }
        for candidate in [withoutPort, withPort].compactMap({ $0 }) where !candidates.contains(candidate) {
            candidates.append(candidate)
        }
        return candidates
    }

    struct Parts {
        var scheme: String
        /// `scheme://` and any `userinfo@`.
        var prefix: String
        var host: String
        var port: String?
        /// Path, query and fragment, unchanged.
        var suffix: String
    }

    static func split(_ url: String) -> Parts? {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return nil }
        let scheme = url[..<colon].lowercased()
        let authorityStart = url.index(colon, offsetBy: 3)
        let afterScheme = url[authorityStart...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        let suffix = String(afterScheme[authorityEnd...])
        var prefix = String(url[..<authorityStart])
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            prefix += authority[...at]
            hostAndPort = authority[authority.index(after: at)...]
        }
        // An IPv6 literal holds colons of its own: only a colon after `]` starts a port.
        let searchStart = hostAndPort.lastIndex(of: "]") ?? hostAndPort.startIndex
        if let colon = hostAndPort[searchStart...].lastIndex(of: ":") {
            let port = hostAndPort[hostAndPort.index(after: colon)...]
            guard port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Parts(scheme: scheme, prefix: prefix, host: String(hostAndPort[..<colon]), port: String(port), suffix: suffix)
        }
        return Parts(scheme: scheme, prefix: prefix, host: String(hostAndPort), port: nil, suffix: suffix)
    }
}
