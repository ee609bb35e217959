import BridgeProtocol
import FoundationEssentials
import Logging
import RefdeskCore
import RefdeskStore
import XMPP

/// Everything one event batch changes, gathered so it commits as one transaction, plus what to do after it.
struct StoreChanges: Sendable {
    /// When the batch happened (ms since the epoch).
    var time: Int64
    /// Reliable frame ids now handled (dedupe).
    var seen: [String] = []
    var conversations: [ConversationRecord] = []
    var transcripts: [TranscriptRow] = []
    var offlineInserts: [OfflineEntry] = []
    var offlineDeletes: [Int64] = []
    var outbox: [OutboxInsert] = []
    var deliveries: [DeliveryReport] = []
    /// Lines to librarians: committed with the decision that sends them, sent once the commit holds.
    var librarianLines: [LibrarianLineRecord] = []
    /// Replies librarians wrote, kept so a failure reported later reaches the writer.
    var replies: [LibrarianReplyRecord] = []

    // After the commit:
    var outboxProtocols: Set<String> = []
    var gatewayOnline: [(GatewayID, Bool)] = []
    /// Stanzas that need no durability (delivery receipts, presence), sent in order once the commit holds.
    var stanzas: [XMLElement] = []
    var log: [LogLine] = []

    struct LogLine: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    var isEmpty: Bool {
        seen.isEmpty && conversations.isEmpty && transcripts.isEmpty && offlineInserts.isEmpty && offlineDeletes.isEmpty
            && outbox.isEmpty && deliveries.isEmpty && librarianLines.isEmpty && replies.isEmpty && gatewayOnline.isEmpty
            && stanzas.isEmpty && log.isEmpty
    }

    /// Writes the rows, in an order that satisfies foreign keys (conversations before what refers to them).
    func apply(to connection: SQLiteConnection, state: StateRows) throws {
        for id in seen { _ = try connection.markSeen(id: id, at: time) }
        for record in conversations { try connection.saveConversation(record) }
        for row in transcripts {
            try connection.appendMessage(
                conversation: row.conversation, direction: row.direction, sender: row.sender, body: row.body, messageID: nil, at: row.at
            )
        }
        for entry in offlineInserts {
            try connection.insertOffline(
                id: entry.id, queue: entry.queueName, gatewayID: entry.gatewayID, patron: entry.patron, body: entry.body,
                messageID: entry.messageID, sentAt: entry.sentAt, receivedAt: entry.receivedAt, media: entry.media
            )
        }
        if !offlineDeletes.isEmpty { try connection.deleteOffline(ids: offlineDeletes) }
        for message in outbox {
            try connection.enqueueOutbound(
                id: message.id, protocol: message.protocolName, gatewayID: message.gatewayID, recipient: message.recipient,
                body: message.body, conversation: message.conversation, at: time
            )
        }
        for line in librarianLines { try connection.insertLibrarianLine(line) }
        for reply in replies { try connection.insertLibrarianReply(reply) }
        for report in deliveries {
            try connection.recordDelivery(messageID: report.messageID, status: "\(report.status)", reason: report.reason.isEmpty ? nil : report.reason, at: time)
        }
        if let global = state.global { try connection.saveSwitchboardState(global) }
        for (id, bytes) in state.conversations { try connection.saveSwitchboardConversation(id: id, state: bytes) }
        for id in state.pendingResets { try connection.deleteSwitchboardPending(conversation: id) }
        for (id, row) in state.pendingRows { try connection.saveSwitchboardPending(row, conversation: id) }
        for id in state.closed { try connection.deleteSwitchboardConversation(id: id) }
    }
}

struct TranscriptRow: Sendable {
    var conversation: Int64
    var direction: MessageDirection
    var sender: String
    var body: String
    var at: Int64
}

struct OutboxInsert: Sendable {
    var id: String
    var protocolName: String
    var gatewayID: Int64
    var recipient: String
    var body: String
    var conversation: Int64?
}

/// Ids for messages the router originates (replies, offline notices): unique without coordination.
enum MessageID {
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return "rd-" + hex(high) + hex(low)
    }
}

/// The switchboard's state as rows: the global part, the open conversations that changed (their pending messages
/// apart: only new ones are written, unless the list was replaced), those that closed.
struct StateRows: Sendable {
    /// The switchboard's global state, when it changed since the last write.
    var global: [UInt8]?
    var conversations: [(Int64, [UInt8])] = []
    /// Conversations whose pending list was replaced (answered, transferred): their rows go before `pendingRows`.
    var pendingResets: [Int64] = []
    var pendingRows: [(Int64, PendingRow)] = []
    var closed: [Int64] = []
}

/// What the database holds of an open conversation's pending messages: how many, and the last. Pending messages only
/// grow by appending until the list is replaced, so these two tell whether the current list extends the saved one,
/// without keeping (and so sharing, and so copying on every append) the saved list itself.
struct PendingMark: Equatable, Sendable {
    var count: Int
    var last: PendingMessage?

    init(_ pending: [PendingMessage]) {
        count = pending.count
        last = pending.last
    }

    /// Whether `pending` is the saved list with messages appended.
    func isPrefix(of pending: [PendingMessage]) -> Bool {
        pending.count >= count && (count == 0 || pending[count - 1] == last)
    }
}

extension Conversation {
    /// The conversation as `switchboard_conversations` keeps it: pending messages are rows of their own.
    var withoutPending: Conversation {
        var copy = self
        copy.pending = []
        return copy
    }
}

/// One open conversation as saved: its rules state and the recent lines a hand-over shows. Its pending messages
/// are rows of their own (`switchboard_pending`), so `conversation.pending` is saved empty; a conversation saved
/// before those rows existed still carries them here.
struct PersistedConversation: Codable {
    var conversation: Conversation
    var recentLines: [TranscriptLine]

    /// The JSON `Codable` gives this value (and `JSONDecoder` reads back), with the recent lines written directly.
    /// An open conversation is saved on every change with up to 50 recent lines, and `JSONEncoder`'s generic path
    /// over those lines was the router's largest single cost per reply (16 % of its CPU at 600 replies/s).
    func encoded(with encoder: JSONEncoder) throws -> [UInt8] {
        var bytes = Array(#"{"conversation":"#.utf8)
        bytes += try encoder.encode(conversation)
        bytes += #","recentLines":["#.utf8
        for (index, line) in recentLines.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            line.appendJSON(to: &bytes)
        }
        bytes += "]}".utf8
        return bytes
    }
}

extension TranscriptLine {
    /// Appends the JSON the synthesised `Encodable` conformance writes: `{"speaker":{"patron":{}},…}` or
    /// `{"speaker":{"operator":{"_0":"name"}},…}`, then `"text"` and `"at"` (milliseconds since the epoch).
    func appendJSON(to bytes: inout [UInt8]) {
        bytes += #"{"speaker":"#.utf8
        switch speaker {
        case .patron:
            bytes += #"{"patron":{}}"#.utf8
        case .operator(let name):
            bytes += #"{"operator":{"_0":"#.utf8
            Self.appendJSONString(name.rawValue, to: &bytes)
            bytes += "}}".utf8
        }
        bytes += #","text":"#.utf8
        Self.appendJSONString(text, to: &bytes)
        bytes += #","at":"#.utf8
        bytes += String(at.millisecondsSinceEpoch).utf8
        bytes.append(UInt8(ascii: "}"))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else as UTF-8.
    static func appendJSONString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += #"\""#.utf8
            case UInt8(ascii: "\\"): bytes += #"\\"#.utf8
            case UInt8(ascii: "\n"): bytes += #"\n"#.utf8
            case UInt8(ascii: "\r"): bytes += #"\r"#.utf8
            case UInt8(ascii: "\t"): bytes += #"\t"#.utf8
            case 0..<0x20:
                bytes += #"\u00"#.utf8
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
