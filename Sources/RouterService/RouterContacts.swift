import RefdeskCore
import RefdeskStore
import XMPP
import XMPPComponent

/// How the component's addresses look in librarians' clients: patrons named by network and number (XEP-0172) and
/// shown available while their chat is open (directed presence), queues with a name and a picture (XEP-0153), and
/// answers to service discovery (XEP-0030) saying what each address is.
extension Router {
    // MARK: Names

    /// What a queue contact is called in rosters: "Queue ask".
    static func queueNickname(_ queue: String) -> String {
        "Queue \(queue)"
    }

    /// What a patron is called: the network and the address as people write it ("SMS +1 555-123-4567",
    /// "AIM patronname").
    func nickname(of patron: PatronID) -> String {
        let network = gateways[patron.gatewayID]?.network ?? ""
        return Self.nickname(address: patron.address, network: network)
    }

    static func nickname(address: String, network: String) -> String {
        guard let name = networkName(network) else { return address }
        return "\(name) \(network == "twilio" ? readablePhoneNumber(address) : address)"
    }

    /// A gateway protocol as people call its network: `SMS`, `AIM`; nil when unknown.
    static func networkName(_ network: String) -> String? {
        switch network {
        case "twilio": "SMS"
        case "aim": "AIM"
        case "": nil
        default: network.uppercased()
        }
    }

    /// A North American number as it is written there (`+1 555-123-4567`); any other number as it is (E.164).
    static func readablePhoneNumber(_ number: String) -> String {
        let digits = Array(number.dropFirst())
        guard number.hasPrefix("+1"), digits.count == 11, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return number }
        let text = String(digits)
        func part(_ from: Int, _ count: Int) -> Substring { text.dropFirst(from).prefix(count) }
        return "+1 \(part(1, 3))-\(part(4, 3))-\(part(7, 4))"
    }

    /// The network a gateway protocol is, as discovery names it (`sms`, `aim`); nil for a network XEP-0030 has no
    /// gateway type for.
    static func discoveryType(of network: String) -> String? {
        switch network {
        case "twilio": "sms"
        case "aim": "aim"
        default: nil
        }
    }

    // MARK: Patrons shown available while their chat is open

    /// Who should see the patron of `conversation` available: the librarians it is offered to while it waits, every
    /// staffing JID of its owner while it is answered, nobody once it has ended.
    func patronPresenceAudience(_ conversation: Conversation) -> Set<String> {
        switch conversation.state {
        case .new:
            return Set(conversation.offers.map(\.jid.bare.description))
        case .ongoing:
            let owner = switchboard.configuration.operators.first { $0.name == conversation.operator }
            return Set((owner?.staffingJIDs ?? []).map(\.description))
        case .completed:
            return []
        }
    }

    /// Directed presence from the patron's address for a conversation that changed: available to librarians who now
    /// have it, unavailable to those who no longer do. Presence is not kept across restarts: after a start (and after
    /// the link comes back) every open chat's patron is announced again (``announceOpenPatrons()``).
    func patronPresenceChanges(for conversation: Conversation) -> [XMLElement] {
        guard let from = patronJID(conversation.patron) else { return [] }
        let audience = patronPresenceAudience(conversation)
        let before = patronPresenceSent[conversation.id] ?? []
        patronPresenceSent[conversation.id] = audience.isEmpty ? nil : audience
        var stanzas: [XMLElement] = []
        for jid in audience.subtracting(before).sorted() {
            guard let to = try? JID(jid) else { continue }
            stanzas.append(patronPresence(conversation, from: from, to: to, available: true))
        }
        for jid in before.subtracting(audience).sorted() {
            guard let to = try? JID(jid) else { continue }
            stanzas.append(patronPresence(conversation, from: from, to: to, available: false))
        }
        return stanzas
    }

    /// Sends every open chat's patron presence afresh: after a start or a reconnect, clients know nothing of it.
    func announceOpenPatrons() {
        guard let xmpp else { return }
        patronPresenceSent = [:]
        for conversation in switchboard.openConversations {
            for stanza in patronPresenceChanges(for: conversation) { xmpp.connection.send(stanza) }
        }
    }

    /// A patron's presence: their nickname (XEP-0172) and, while available, which network and queue the chat is on.
    func patronPresence(_ conversation: Conversation, from: JID, to: JID, available: Bool) -> XMLElement {
        let network = Self.networkName(gateways[conversation.patron.gatewayID]?.network ?? "")
        let status = available ? "\(network.map { "\($0) patron" } ?? "Patron") on queue \(conversation.queue)" : nil
        var element = Presence(from: from, to: to, type: available ? .available : .unavailable, status: status).element
        element.append(XMLElement(name: "nick", namespace: XMPPNamespace.nick, text: nickname(of: conversation.patron)))
        return element
    }

    // MARK: Discovery, vCards, pings

    /// Answers every iq: discovery, vCards and ad-hoc commands at the component's addresses, pings; anything else
    /// gets `service-unavailable`, so no client waits for an answer that never comes.
    func iqReceived(_ iq: IQ) async {
        guard let xmpp, iq.expectsReply, let to = iq.to else { return }
        let payload = iq.payload
        let reply: IQ?
        switch (iq.type, payload?.name, payload?.namespace) {
        case (.get, "query", XMPPNamespace.discoInfo):
            reply = discoInfo(at: to, node: payload?[attribute: "node"]).map { IQ(from: to, to: iq.from, id: iq.id, type: .result, payload: $0) }
                ?? iq.errorReply(condition: "item-not-found")
        case (.get, "query", XMPPNamespace.discoItems):
            reply = IQ(from: to, to: iq.from, id: iq.id, type: .result, payload: discoItems(at: to, asker: iq.from, node: payload?[attribute: "node"]))
        case (.get, "vCard", XMPPNamespace.vCard):
            reply = IQ(from: to, to: iq.from, id: iq.id, type: .result, payload: vCard(of: to))
        case (.get, "ping", "urn:xmpp:ping"):
            reply = IQ(from: to, to: iq.from, id: iq.id, type: .result)
        case (.set, "command", XMPPNamespace.commands):
            reply = await adHocCommand(iq)
        default:
            reply = iq.errorReply()
        }
        if let reply { xmpp.connection.send(reply.element) }
    }

    /// What an address on the component is: the domain and each queue are gateways to the networks they serve
    /// (`gateway/sms`, `gateway/aim`), a patron is a client on their network. Features name only what refdesk does.
    func discoInfo(at address: JID, node: String?) -> XMLElement? {
        if let node {
            guard Self.adHocCommands.contains(where: { $0.node == node }) else { return nil }
            return Discovery.info(
                identities: [Discovery.Identity(category: "automation", type: "command-node", name: Self.adHocCommands.first { $0.node == node }?.name)],
                features: [XMPPNamespace.commands, XMPPNamespace.dataForms], node: node
            )
        }
        let base = [XMPPNamespace.discoInfo, XMPPNamespace.discoItems, "urn:xmpp:ping"]
        guard let node = address.unescapedNode else {
            return Discovery.info(identities: gatewayIdentities(of: gateways.values.map { ($0.network, $0.queueName) }, name: "refdesk"), features: base)
        }
        if switchboard.configuration.queues.contains(where: { $0.name.rawValue == node }) {
            let served = gateways.values.filter { $0.queueName == node }.map { ($0.network, $0.queueName) }
            return Discovery.info(
                identities: gatewayIdentities(of: served, name: Self.queueNickname(node)),
                features: base + [XMPPNamespace.commands, XMPPNamespace.vCard, XMPPNamespace.receipts]
            )
        }
        let network = switchboard.openConversations.first { $0.patron.address == node }.flatMap { gateways[$0.patron.gatewayID]?.network }
        let type = network == "twilio" || (network == nil && node.hasPrefix("+")) ? "sms" : "pc"
        let name = network.map { Self.nickname(address: node, network: $0) } ?? node
        // Typing passes both ways only where the patron's network has it (AIM); SMS has none.
        let typing = network == "aim" ? [XMPPNamespace.chatStates] : []
        return Discovery.info(
            identities: [Discovery.Identity(category: "client", type: type, name: name)],
            features: base + [XMPPNamespace.commands, XMPPNamespace.vCard, XMPPNamespace.receipts, XMPPNamespace.nick] + typing
        )
    }

    /// One gateway identity per network served, named after what serves it; a component with no gateway yet is a
    /// generic component.
    private func gatewayIdentities(of served: [(network: String, queue: String)], name: String) -> [Discovery.Identity] {
        let types = Set(served.compactMap { Self.discoveryType(of: $0.network) }).sorted()
        guard !types.isEmpty else { return [Discovery.Identity(category: "component", type: "generic", name: name)] }
        return types.map { Discovery.Identity(category: "gateway", type: $0, name: "\(name) (\($0.uppercased()))") }
    }

    /// The ad-hoc commands at an address (for a staffing JID; others see none), and nothing else.
    func discoItems(at address: JID, asker: JID?, node: String?) -> XMLElement {
        guard node == XMPPNamespace.commands, let asker, isStaffingJID(asker), let local = address.unescapedNode else {
            return Discovery.items([], node: node)
        }
        let onQueue = switchboard.configuration.queues.contains { $0.name.rawValue == local }
        let commands = Self.adHocCommands.filter { !onQueue || !$0.needsChat }
        return Discovery.items(commands.map { (jid: address.description, node: $0.node, name: $0.name) }, node: node)
    }

    func isStaffingJID(_ jid: JID) -> Bool {
        guard let bare = try? BareJID(parsing: jid.bare.description) else { return false }
        return switchboard.configuration.operators.contains { $0.staffingJIDs.contains(bare) }
    }

    /// A queue's vCard carries its name and picture; a patron's their nickname; the domain's refdesk's name.
    func vCard(of address: JID) -> XMLElement {
        guard let node = address.unescapedNode else { return VCard.element(fullName: "refdesk", nickname: "refdesk", photo: xmpp?.avatar) }
        if switchboard.configuration.queues.contains(where: { $0.name.rawValue == node }) {
            let name = Self.queueNickname(node)
            return VCard.element(fullName: name, nickname: name, photo: xmpp?.avatar)
        }
        let name = switchboard.openConversations.first { $0.patron.address == node }.map { nickname(of: $0.patron) } ?? node
        return VCard.element(fullName: name, nickname: name, photo: nil)
    }
}
