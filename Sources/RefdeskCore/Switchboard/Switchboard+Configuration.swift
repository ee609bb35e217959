extension Switchboard {
    mutating func handleConfigurationChange(_ change: ConfigurationChange, at time: Timestamp) -> [Action] {
        do {
            try check(change)
        } catch {
            return [.configurationRefused(change, reason: error.message)]
        }
        var actions: [Action] = []
        switch change {
        case .removeGateway(let id):
            if let gateway = directory.gateways[id] {
                // Sign it off cleanly rather than leave the account stuck online.
                if debouncer.isReportedOnline(gateway.queue) { actions.append(.setGatewayOnline(id, online: false)) }
                for conversation in openConversations where conversation.gatewayID == id {
                    actions += end(conversation, at: time)
                }
            }
        case .removeStaffingJID(let jid, _):
            presence.forget(jid)
        case .addGateway(let gateway):
            // A gateway added to an online queue comes online at once.
            if debouncer.isReportedOnline(gateway.queue) { actions.append(.setGatewayOnline(gateway.id, online: true)) }
        case .putQueue, .addOperator, .addStaffingJID, .assign, .unassign:
            break
        }
        directory.apply(change)
        return actions
    }
}
