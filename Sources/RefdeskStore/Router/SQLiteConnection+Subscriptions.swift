/// XMPP presence subscriptions, kept so the component answers probes and re-sends presence to the
/// right contacts after a restart.
extension SQLiteConnection {
    /// Sets the state for a pair; `.none` removes the row, as it carries no information.
    public func setSubscription(_ record: SubscriptionRecord) throws {
        if record.state == .none {
            try run("DELETE FROM subscriptions WHERE local_jid = ? AND contact_jid = ?", record.localJID, record.contactJID)
            return
        }
        try run(
            """
            INSERT INTO subscriptions (local_jid, contact_jid, state) VALUES (?1, ?2, ?3)
            ON CONFLICT (local_jid, contact_jid) DO UPDATE SET state = excluded.state
            """,
            record.localJID, record.contactJID, record.state.rawValue
        )
    }

    /// The subscription between two JIDs (`.none` when none is stored).
    public func subscriptionState(localJID: String, contactJID: String) throws -> SubscriptionState {
        let text = try queryFirst(
            "SELECT state FROM subscriptions WHERE local_jid = ? AND contact_jid = ?", localJID, contactJID
        ) { try $0.string(0) }
        guard let text else { return .none }
        return try .decode(text, table: "subscriptions", column: "state")
    }

    /// The subscriptions of one of our JIDs, or all when `localJID` is `nil`.
    public func subscriptions(localJID: String? = nil) throws -> [SubscriptionRecord] {
        let map = { (row: SQLiteRow) in
            SubscriptionRecord(
                localJID: try row.string(0),
                contactJID: try row.string(1),
                state: try .decode(try row.string(2), table: "subscriptions", column: "state")
            )
        }
        if let localJID {
            return try query(
                "SELECT local_jid, contact_jid, state FROM subscriptions WHERE local_jid = ? ORDER BY contact_jid", localJID, row: map
            )
        }
        return try query("SELECT local_jid, contact_jid, state FROM subscriptions ORDER BY local_jid, contact_jid", row: map)
    }
}
