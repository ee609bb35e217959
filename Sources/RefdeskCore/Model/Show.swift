/// An XMPP presence "show" value for one resource that is online.
///
/// Unavailable is not a case: the switchboard models it as the absence of a `Show`
/// (`nil`), because an unavailable resource is simply gone from the presence book.
public enum Show: String, Hashable, Sendable, Codable, CaseIterable {
    /// Plain available presence (no `<show/>` element).
    case available
    /// `chat`: free for chat.
    case chat
    /// `away`: deflects new chats, keeps receiving its current ones.
    case away
    /// `xa`: extended away; treated like away.
    case xa
    /// `dnd`: busy; keeps its current chats but is offered no new ones.
    case dnd

    /// Whether a resource with this show may be offered new chats.
    ///
    /// Only available and chat are routable, so an operator's client status is the one
    /// switch that decides whether they take new patrons.
    public var isRoutable: Bool {
        switch self {
        case .available, .chat: true
        case .away, .xa, .dnd: false
        }
    }

    /// Preference when delivering a message of a chat the operator already owns:
    /// lower is better. Routable resources come first, then busy, then away.
    var deliveryRank: Int {
        switch self {
        case .available, .chat: 0
        case .dnd: 1
        case .away: 2
        case .xa: 3
        }
    }
}
