/// What the desk looks like to a coordinator: who staffs with what status. Read-only queries for the web console.
extension Switchboard {
    /// An operator's status now: the show of the resource that would get a new chat (or, failing that, of the one that
    /// keeps their chats); `nil` while none of their staffing JIDs is connected.
    public func currentShow(of name: OperatorName) -> Show? {
        guard let op = directory.operators[name] else { return nil }
        let jid = presence.resourceForNewChat(among: op.staffingJIDs) ?? presence.resourceForOwnedChat(among: op.staffingJIDs)
        return jid.flatMap { presence.show(of: $0) }
    }
}
