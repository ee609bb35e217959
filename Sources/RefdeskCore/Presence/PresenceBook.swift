/// What every resource of every staffing JID is showing right now.
///
/// Presence is kept per resource because one account can be signed in from a desk and a
/// phone at once with different statuses; an operator is routable if any of them is.
public struct PresenceBook: Sendable {
    struct Entry: Sendable {
        var show: Show
        /// When this resource's show last changed; the newest place wins ties.
        var since: Timestamp
    }

    private var resources: [BareJID: [String: Entry]] = [:]

    public init() {}

    /// Records a presence; `nil` means the resource went unavailable.
    public mutating func update(jid: BareJID, resource: String, show: Show?, at time: Timestamp) {
        guard let show else {
            resources[jid]?[resource] = nil
            if resources[jid]?.isEmpty == true { resources[jid] = nil }
            return
        }
        if resources[jid]?[resource]?.show == show { return }
        resources[jid, default: [:]][resource] = Entry(show: show, since: time)
    }

    /// Forgets every resource of a JID, e.g. one that stopped being a staffing JID.
    public mutating func forget(_ jid: BareJID) {
        resources[jid] = nil
    }

    /// The show of one resource, `nil` when it is unavailable.
    public func show(of jid: FullJID) -> Show? {
        resources[jid.bare]?[jid.resource]?.show
    }

    /// Every resource of these JIDs that is not unavailable, with its show.
    public func resources(of jids: [BareJID]) -> [(jid: BareJID, resource: String, show: Show)] {
        jids.flatMap { bare in (resources[bare] ?? [:]).map { (bare, $0.key, $0.value.show) } }
    }

    /// Whether any resource of any of these JIDs is available or chatty.
    public func isRoutable(_ jids: [BareJID]) -> Bool {
        jids.contains { jid in resources[jid]?.values.contains { $0.show.isRoutable } ?? false }
    }

    /// Where to send an offer of a new chat: the routable resource that became routable
    /// most recently, or `nil` when none is routable.
    public func resourceForNewChat(among jids: [BareJID]) -> FullJID? {
        best(among: jids) { $0.show.isRoutable }
    }

    /// Where to send a message of a chat the operator already owns: a routable resource if
    /// there is one, else a busy one, else an away one (the newest within each), so the next
    /// message follows the operator to wherever they are available now.
    public func resourceForOwnedChat(among jids: [BareJID]) -> FullJID? {
        guard let rank = candidates(among: jids, where: { _ in true }).map(\.entry.show.deliveryRank).min() else { return nil }
        return best(among: jids) { $0.show.deliveryRank == rank }
    }

    private func candidates(among jids: [BareJID], where include: (Entry) -> Bool) -> [(jid: FullJID, entry: Entry)] {
        jids.flatMap { bare in
            (resources[bare] ?? [:]).compactMap { resource, entry -> (jid: FullJID, entry: Entry)? in
                guard include(entry), let jid = try? FullJID(bare: bare, resource: resource) else { return nil }
                return (jid, entry)
            }
        }
    }

    private func best(among jids: [BareJID], where include: (Entry) -> Bool) -> FullJID? {
        candidates(among: jids, where: include).min { lhs, rhs in
            if lhs.entry.since != rhs.entry.since { return lhs.entry.since > rhs.entry.since }
            return lhs.jid < rhs.jid
        }?.jid
    }
}
