@testable import RefdeskCore

/// Seconds on a test clock that starts at an arbitrary fixed epoch.
func t(_ seconds: Int64) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: 1_700_000_000_000 + seconds * 1000)
}

/// A small library: queue `reference` staffed by alice (two accounts), bob and carol,
/// reachable by SMS (gateway 1) and AIM (gateway 2); queue `archives` staffed by dave.
struct Desk {
    static let reference: QueueName = "reference"
    static let archives: QueueName = "archives"
    static let offlineReply = "We're closed now; a librarian will answer when we open."
    static let sms: GatewayID = 1
    static let aim: GatewayID = 2

    var board: Switchboard
    let aliceDesk: FullJID
    let alicePhone: FullJID
    let bob: FullJID
    let carol: FullJID
    let dave: FullJID
    private var messageCounter = 0

    init(routing: RoutingPolicy = .ringAll, keepsTranscripts: Bool = true, pingPong: PingPongPolicy = .init(), snapshot: Snapshot = .init()) throws {
        aliceDesk = try FullJID(parsing: "alice@library.example.org/desk")
        alicePhone = try FullJID(parsing: "alice.w@gmail.com/phone")
        bob = try FullJID(parsing: "bob@library.example.org/desk")
        carol = try FullJID(parsing: "carol@library.example.org/desk")
        dave = try FullJID(parsing: "dave@library.example.org/desk")
        board = Switchboard(configuration: try Self.configuration(routing: routing, keepsTranscripts: keepsTranscripts, pingPong: pingPong), snapshot: snapshot)
    }

    /// A desk running an explicit configuration, e.g. one taken from another switchboard.
    init(configuration: Configuration, snapshot: Snapshot = .init(), timeZones: any CivilTimeConverter = FixedOffsetTimeZones.utc) throws {
        self = try Desk()
        board = Switchboard(configuration: configuration, snapshot: snapshot, timeZones: timeZones)
    }

    static func configuration(routing: RoutingPolicy = .ringAll, keepsTranscripts: Bool = true, pingPong: PingPongPolicy = .init()) throws -> Configuration {
        Configuration(
            queues: [
                QueueConfiguration(name: reference, routing: routing, offlineReply: offlineReply, keepsTranscripts: keepsTranscripts),
                QueueConfiguration(name: archives),
            ],
            operators: [
                Operator(name: "alice", staffingJIDs: [try BareJID(parsing: "alice@library.example.org"), try BareJID(parsing: "alice.w@gmail.com")]),
                Operator(name: "bob", staffingJIDs: [try BareJID(parsing: "bob@library.example.org")]),
                Operator(name: "carol", staffingJIDs: [try BareJID(parsing: "carol@library.example.org")]),
                Operator(name: "dave", staffingJIDs: [try BareJID(parsing: "dave@library.example.org")]),
            ],
            assignments: [
                Assignment(operator: "alice", queue: reference),
                Assignment(operator: "bob", queue: reference),
                Assignment(operator: "carol", queue: reference),
                Assignment(operator: "dave", queue: archives),
            ],
            gateways: [
                Gateway(id: sms, protocol: .twilio, account: "+1 (555) 000-1111", queue: reference),
                Gateway(id: aim, protocol: .aim, account: "My Library@aol.com", queue: reference),
            ],
            pingPong: pingPong
        )
    }

    @discardableResult
    mutating func presence(_ jid: FullJID, _ show: Show?, at time: Timestamp) -> [Action] {
        board.handle(.presence(jid: jid.bare, resource: jid.resource, show: show, at: time))
    }

    @discardableResult
    mutating func tick(at time: Timestamp) -> [Action] {
        board.handle(.tick(at: time))
    }

    /// Signs operators in and lets the queue presence settle, returning to a quiet state.
    mutating func staff(_ jids: FullJID..., show: Show = .available, at time: Timestamp) {
        for jid in jids { presence(jid, show, at: time) }
        tick(at: time + .seconds(5))
    }

    @discardableResult
    mutating func text(from sender: String, _ body: String, via gateway: GatewayID = sms, sentAt: Timestamp? = nil, at time: Timestamp) -> [Action] {
        messageCounter += 1
        return board.handle(
            .patronMessage(PatronMessage(gatewayID: gateway, sender: sender, body: body, messageID: "SM\(messageCounter)", sentAt: sentAt, receivedAt: time))
        )
    }

    @discardableResult
    mutating func reply(from jid: FullJID, in conversation: ConversationID, _ body: String, at time: Timestamp) -> [Action] {
        board.handle(.operatorMessage(from: jid, conversation: conversation, body: body, at: time))
    }

    /// An operator command typed in a conversation's window.
    @discardableResult
    mutating func command(_ jid: FullJID, in conversation: ConversationID, _ body: String, at time: Timestamp) -> [Action] {
        board.handle(.operatorMessage(from: jid, conversation: conversation, body: body, at: time))
    }

    func patron(_ address: String, via gateway: GatewayID = sms) -> PatronID {
        PatronID(gatewayID: gateway, address: address)
    }
}

struct OfferSeen: Hashable {
    var `operator`: OperatorName
    var jid: FullJID
    var conversation: ConversationID
    var messages: [String]
}

extension Array where Element == Action {
    var offers: [OfferSeen] {
        compactMap {
            if case .offerToOperator(let name, let jid, let conversation, _, let lines) = $0 {
                return OfferSeen(operator: name, jid: jid, conversation: conversation, messages: lines.map(\.text))
            }
            return nil
        }
    }

    var queuePresenceChanges: [Action] {
        filter { if case .queuePresenceChanged = $0 { true } else { false } }
    }

    var toOperators: [(jid: FullJID, text: String)] {
        compactMap { if case .sendToOperator(let jid, _, _, let line) = $0 { (jid, line.text) } else { nil } }
    }

    var toPatrons: [(patron: PatronID, text: String)] {
        compactMap { if case .sendToPatron(let patron, _, let text, _) = $0 { (patron, text) } else { nil } }
    }

    var notifications: [(jid: FullJID, text: String)] {
        compactMap { if case .notifyOperator(let jid, _, _, let text) = $0 { (jid, text) } else { nil } }
    }

    var stored: [OfflineMessage] {
        compactMap { if case .storeOffline(let message) = $0 { message } else { nil } }
    }

    var changedConversations: [Conversation] {
        compactMap { if case .conversationChanged(let conversation) = $0 { conversation } else { nil } }
    }

    var dropReasons: [String] {
        compactMap { if case .dropped(let reason) = $0 { reason } else { nil } }
    }

    var newConversationID: ConversationID? {
        changedConversations.first { $0.state == .new }?.id
    }
}
