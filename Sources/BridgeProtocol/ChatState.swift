/// Whether one side of a conversation is typing, carried in `chatState` frames: XEP-0085's five chat states, so
/// XMPP's can pass unchanged and other networks' typing notices map onto them.
///
/// The raw values are the wire encoding; any other byte is a decoding error.
public enum ChatState: UInt8, Sendable, CaseIterable {
    /// Paying attention, not typing (typing stopped and the text was cleared or sent).
    case active = 0
    /// Typing.
    case composing = 1
    /// Text typed, but typing stopped for a while.
    case paused = 2
    /// Not paying attention for a while.
    case inactive = 3
    /// Left the conversation.
    case gone = 4

    /// The name XEP-0085 gives the state (its element's name).
    public var name: String {
        switch self {
        case .active: "active"
        case .composing: "composing"
        case .paused: "paused"
        case .inactive: "inactive"
        case .gone: "gone"
        }
    }
}
