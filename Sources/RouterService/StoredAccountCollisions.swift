import RefdeskCore
import RefdeskStore

/// Names the accounts of a stored configuration that are one account (a gateway that is also a staffing JID, or two
/// gateways), for the error that stops the router: the rules only say "That account is already in use", and the
/// admin needs to know which rows to change. A database written before AIM screen names and their AOL JIDs were
/// compared can hold such a pair.
enum StoredAccountCollisions {
    /// Checks a stored configuration as the rules do (time zones included); a collision is named in full.
    static func validate(_ configuration: Configuration, gateways: [GatewayRecord], jids: [StaffingJIDRecord]) -> ConfigurationError? {
        let error: ConfigurationError
        do {
            try configuration.validate(timeZones: SystemTimeZones())
            return nil
        } catch let refusal {
            error = refusal
        }
        guard error == .accountInUse else { return error }
        return ConfigurationError(describe(gateways: gateways, jids: jids, defaultCountryCode: configuration.defaultCountryCode))
    }

    static func describe(gateways: [GatewayRecord], jids: [StaffingJIDRecord], defaultCountryCode: String) -> String {
        let gatewayKeys = gateways.compactMap { gateway in
            (try? AccountKey(protocol: GatewayProtocol(name: gateway.network), address: gateway.username, defaultCountryCode: defaultCountryCode))
                .map { (gateway, $0) }
        }
        var pairs: [String] = []
        for (gateway, key) in gatewayKeys {
            for record in jids {
                guard let jid = try? BareJID(parsing: record.jid), AccountKey(staffing: jid).isSameAccount(as: key) else { continue }
                pairs.append("gateway \(gateway.id) (\(gateway.network) \(gateway.username)) and staffing JID \(record.jid) of \(record.operatorName)")
            }
        }
        for (index, (first, firstKey)) in gatewayKeys.enumerated() {
            for (second, secondKey) in gatewayKeys[(index + 1)...] where firstKey.isSameAccount(as: secondKey) {
                pairs.append("gateway \(first.id) (\(first.network) \(first.username)) and gateway \(second.id) (\(second.network) \(second.username))")
            }
        }
        guard !pairs.isEmpty else { return "That account is already in use" }
        // The admin API is the router's, so it cannot help while the router refuses to start: name the rows.
        return "these accounts are one account, which would loop messages back into refdesk: " + pairs.joined(separator: "; ")
            + "; with the router stopped, delete one of each pair from its database (sqlite3 DATABASE "
            + "\"DELETE FROM staffing_jids WHERE jid = '...'\" or \"DELETE FROM gateways WHERE id = ...\") and start it again"
    }
}
