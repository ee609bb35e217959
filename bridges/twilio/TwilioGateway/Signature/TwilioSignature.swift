/// Checks the `X-Twilio-Signature` header that proves a webhook came from Twilio.
///
/// Twilio signs `url + name₁ + value₁ + name₂ + value₂ …` with HMAC-SHA1 under the account's
/// auth token, the parameters sorted by name in byte (Unix, case-sensitive) order, and sends
/// the base64 of the MAC. A name sent more than once contributes each of its values, sorted.
/// Without this check anybody who learns the webhook URL could inject texts from any number.
public enum TwilioSignature {
    /// The signature Twilio would send for this URL and these POST parameters.
    ///
    /// - Parameters:
    ///   - url: The full URL Twilio requested, query string included, exactly as configured.
    ///   - params: Every decoded POST parameter, repeats included (an empty list for GET).
    ///   - authToken: The account's auth token (case matters).
    public static func expected(url: String, params: [(String, String)], authToken: String) -> String {
        let mac = Crypto.hmacSHA1(key: Array(authToken.utf8), message: signedBytes(url: url, params: params))
        return Crypto.base64(mac)
    }

    /// Whether `signature` is a valid Twilio signature for the request.
    ///
    /// The URL is tried as given, without its port and with the scheme's default port,
    /// because Twilio signs either spelling. Comparison is constant-time.
    public static func isValid(signature: String, url: String, params: [(String, String)], authToken: String) -> Bool {
        let received = Array(signature.utf8)
        // An empty header never validates, even if the MAC could not be computed.
        guard !received.isEmpty else { return false }
        var valid = false
        for candidate in WebhookURL.signingCandidates(url) {
            let computed = Array(expected(url: candidate, params: params, authToken: authToken).utf8)
            if !computed.isEmpty, Crypto.constantTimeEquals(computed, received) { valid = true }
        }
        return valid
    }

    /// Convenience for decoded form bodies.
    public static func isValid(signature: String, url: String, fields: FormFields, authToken: String) -> Bool {
        isValid(signature: signature, url: url, params: fields.tuples, authToken: authToken)
    }

    /// The exact bytes that are MACed.
    static func signedBytes(url: String, params: [(String, String)]) -> [UInt8] {
        let sorted = params
            .map { (name: Array($0.0.utf8), value: Array($0.1.utf8)) }
            .sorted { lhs, rhs in
                if lhs.name != rhs.name { return lhs.name.lexicographicallyPrecedes(rhs.name) }
                return lhs.value.lexicographicallyPrecedes(rhs.value)
            }
        var bytes = Array(url.utf8)
        for pair in sorted {
            bytes += pair.name
            bytes += pair.value
        }
        return bytes
    }
}
