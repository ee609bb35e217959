/// Keeps refdesk from talking to itself.
///
/// If a gateway account were also a staffing JID, or a gateway could message another
/// gateway, a patron message would be delivered back into refdesk and bounce forever. The
/// guard refuses such configurations up front and drops such messages at run time. All
/// comparisons are made on ``AccountKey``s, i.e. after normalisation, and across networks
/// where one account has several (an AIM screen name is also an XMPP address at AOL).
public struct LoopGuard: Sendable {
    private var gatewayKeys: [AccountKey: GatewayID] = [:]
    private var staffingKeys: [AccountKey: BareJID] = [:]
    private let defaultCountryCode: String

    /// Gateways whose account cannot be normalised are left out: they cannot be matched anyway.
    public init(gateways: [Gateway], staffingJIDs: [BareJID], defaultCountryCode: String = "1") {
        self.defaultCountryCode = defaultCountryCode
        for gateway in gateways {
            if let key = try? AccountKey(protocol: gateway.protocol, address: gateway.account, defaultCountryCode: defaultCountryCode) {
                for equivalent in key.equivalents { gatewayKeys[equivalent] = gateway.id }
            }
        }
        for jid in staffingJIDs {
            for equivalent in AccountKey(staffing: jid).equivalents { staffingKeys[equivalent] = jid }
        }
    }

    /// Refuses a gateway account that is malformed or already used by another gateway or as
    /// a staffing JID. `replacing` names a gateway whose own account should not count.
    public func checkGatewayAccount(
        _ account: String,
        protocol gatewayProtocol: GatewayProtocol,
        replacing: GatewayID? = nil
    ) throws(ConfigurationError) {
        let key: AccountKey
        do {
            key = try AccountKey(protocol: gatewayProtocol, address: account, defaultCountryCode: defaultCountryCode)
        } catch {
            throw ConfigurationError(error.description)
        }
        for equivalent in key.equivalents {
            if let owner = gatewayKeys[equivalent], owner != replacing { throw .accountInUse }
            if staffingKeys[equivalent] != nil { throw .accountInUse }
        }
    }

    /// Refuses a staffing JID that is already a gateway account or another staffing JID.
    public func checkStaffingJID(_ jid: BareJID) throws(ConfigurationError) {
        for key in AccountKey(staffing: jid).equivalents where gatewayKeys[key] != nil || staffingKeys[key] != nil {
            throw .accountInUse
        }
    }

    /// What to do with a message arriving on a gateway.
    public enum Verdict: Hashable, Sendable {
        /// A genuine patron, with their normalised address.
        case accept(address: String)
        /// Not a patron; the reason is for the log.
        case drop(reason: String)
    }

    /// Screens the sender of an inbound gateway message: an unreadable address, another
    /// gateway's account or a staffing JID is dropped.
    public func screenSender(_ sender: String, protocol gatewayProtocol: GatewayProtocol) -> Verdict {
        let address: String
        do {
            address = try gatewayProtocol.normalise(sender, defaultCountryCode: defaultCountryCode)
        } catch {
            return .drop(reason: "sender \(error.description)")
        }
        let key = AccountKey(protocol: gatewayProtocol, normalised: address)
        for equivalent in key.equivalents {
            if let gateway = gatewayKeys[equivalent] {
                return .drop(reason: "sender \(address) is the account of gateway \(gateway); dropped to avoid a loop")
            }
            if staffingKeys[equivalent] != nil {
                return .drop(reason: "sender \(address) is a staffing JID; dropped to avoid a loop")
            }
        }
        return .accept(address: address)
    }
}
