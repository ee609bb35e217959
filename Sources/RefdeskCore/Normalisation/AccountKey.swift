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

    /// The key of a staffing JID.
    public init(staffing jid: BareJID) {
        rawValue = "xmpp:\(jid)"
    }

    /// The key of an account on a gateway's network: a gateway's own account or a patron's address.
    public init(protocol gatewayProtocol: GatewayProtocol, address: String, defaultCountryCode: String = "1") throws(NormalisationError) {
        let normalised = try gatewayProtocol.normalise(address, defaultCountryCode: defaultCountryCode)
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
