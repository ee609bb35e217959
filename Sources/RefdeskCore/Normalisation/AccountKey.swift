/// An account reduced to the form in which two spellings of the same account are equal.
///
/// The loop guard compares gateway accounts, patron addresses and staffing JIDs through
/// these keys, so `+1 (555) 123-4567` and `15551234567`, or `My Library` and
/// `mylibrary@aol.com`, are recognised as one account.
public struct AccountKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// A scheme-prefixed normalised address, e.g. `tel:+15551234567`, `aim:mylibrary`,
    /// `xmpp:alice@example.org`.
    public let rawValue: String

    public var description: String { rawValue }

    public static func < (lhs: AccountKey, rhs: AccountKey) -> Bool { lhs.rawValue < rhs.rawValue }

    private init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The key of a staffing JID.
    public init(staffing jid: BareJID) {
        rawValue = "xmpp:\(jid)"
    }

    /// This key and the keys of the same account seen from another network. AOL answered for AIM screen names over
    /// XMPP too: `frankdesk@aol.com` (or `@aim.com`) as a JID was the AIM account `frankdesk`, and an e-mail style
    /// screen name `someone@mac.com` was the JID of the same spelling. Staffing from such a JID while the screen name
    /// is a gateway would deliver refdesk's messages back into refdesk.
    public var equivalents: [AccountKey] {
        if rawValue.hasPrefix("aim:") {
            let name = rawValue.dropFirst(4)
            if name.contains("@") { return [self, AccountKey(rawValue: "xmpp:\(name)")] }
            return [self] + AIMScreenName.homeDomains.sorted().map { AccountKey(rawValue: "xmpp:\(name)@\($0)") }
        }
        if rawValue.hasPrefix("xmpp:"), let screenName = try? AIMScreenName.normalise(String(rawValue.dropFirst(5))) {
            return [self, AccountKey(rawValue: "aim:\(screenName)")]
        }
        return [self]
    }

    /// Whether the two keys name one account, on the same network or across AIM and XMPP.
    public func isSameAccount(as other: AccountKey) -> Bool {
        !Set(equivalents).isDisjoint(with: other.equivalents)
    }

    /// The domain of an XMPP key (or of its XMPP equivalent), e.g. to refuse accounts on refdesk's own domain.
    public var xmppDomains: [String] {
        equivalents.compactMap { key in
            guard key.rawValue.hasPrefix("xmpp:"), let at = key.rawValue.lastIndex(of: "@") else { return nil }
            return String(key.rawValue[key.rawValue.index(after: at)...])
        }
    }

    /// The key of an account on a gateway's network: a gateway's own account or a patron's address.
    public init(protocol gatewayProtocol: GatewayProtocol, address: String, defaultCountryCode: String = "1") throws(NormalisationError) {
        self.init(protocol: gatewayProtocol, normalised: try gatewayProtocol.normalise(address, defaultCountryCode: defaultCountryCode))
    }

    /// The key of an address already normalised with `GatewayProtocol.normalise` (which a patron's message needs
    /// anyway: normalising twice costs more than the rest of screening it).
    public init(protocol gatewayProtocol: GatewayProtocol, normalised: String) {
        switch gatewayProtocol {
        case .twilio: rawValue = "tel:\(normalised)"
        case .aim: rawValue = "aim:\(normalised)"
        case .other(let name):
            // Accounts on XMPP-like networks are JIDs, and must collide with staffing JIDs.
            if (try? BareJID(parsing: normalised))?.node != nil {
                rawValue = "xmpp:\(normalised)"
            } else {
                rawValue = "\(name):\(normalised)"
            }
        }
    }
}

extension GatewayProtocol {
    /// Normalises an address on this network: E.164 for Twilio, a folded screen name for AIM,
    /// a bare JID (or the trimmed, lowercased text) for anything else.
    public func normalise(_ address: String, defaultCountryCode: String = "1") throws(NormalisationError) -> String {
        switch self {
        case .twilio:
            return try PhoneNumber.normalise(address, defaultCountryCode: defaultCountryCode)
        case .aim:
            return try AIMScreenName.normalise(address)
        case .other:
            let text = address.trimmingWhitespace()
            if text.isEmpty { throw NormalisationError(kind: .account, input: address, reason: "it is empty") }
            if text.contains("@"), let jid = try? BareJID(parsing: String(text)) { return jid.description }
            return text.lowercased()
        }
    }
}
