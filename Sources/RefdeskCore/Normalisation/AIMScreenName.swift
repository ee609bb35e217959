/// AIM screen names, compared the way AIM compares them: case and spaces do not matter.
public enum AIMScreenName {
    /// Domains AIM itself answers for; `mylibrary@aol.com` and `mylibrary` are the same account.
    public static let homeDomains: Set<String> = ["aol.com", "aim.com"]
    /// The longest classic screen name.
    public static let maximumLength = 16

    /// Folds a screen name for comparison: lowercased, spaces removed, and an `@aol.com` or
    /// `@aim.com` suffix dropped (`My Library@AOL.com` → `mylibrary`). An e-mail style
    /// screen name on another domain keeps its domain (`someone@mac.com`).
    public static func normalise(_ raw: String) throws(NormalisationError) -> String {
        func failure(_ reason: String) -> NormalisationError {
            NormalisationError(kind: .screenName, input: raw, reason: reason)
        }
        let folded = String(raw.lowercased().filter { !$0.isWhitespace })
        if folded.isEmpty { throw failure("it is empty") }

        var local = Substring(folded)
        var domain: Substring?
        if let at = folded.lastIndex(of: "@") {
            local = folded[..<at]
            domain = folded[folded.index(after: at)...]
        }
        if local.isEmpty { throw failure("there is nothing before the '@'") }
        for character in local where !(character.isASCIILetter || character.isASCIIDigit || "._-".contains(character)) {
            throw failure("it contains '\(character)', which a screen name cannot")
        }
        guard let domain, !homeDomains.contains(String(domain)) else {
            if local.count > maximumLength {
                throw failure("it is \(local.count) characters long; a screen name has at most \(maximumLength)")
            }
            return String(local)
        }
        if domain.isEmpty || !domain.contains(".") || domain.hasPrefix(".") || domain.hasSuffix(".") {
            throw failure("'\(domain)' is not a domain")
        }
        for character in domain where !(character.isASCIILetter || character.isASCIIDigit || ".-".contains(character)) {
            throw failure("its domain contains '\(character)'")
        }
        return "\(local)@\(domain)"
    }
}
