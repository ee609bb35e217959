/// The CSV export: one row per chat, no message text, for spreadsheets and reference-statistics tools.
///
/// The column names are part of the API: they never change meaning and new ones are only ever added at the end, so
/// an import set up once keeps working.

/// One chat as exported.
public struct ExportedChat: Sendable, Equatable {
    public var id: Int64
    public var queue: String
    public var channel: String
    public var librarian: String
    public var patron: String
    public var state: String
    /// `answered`, `waiting`, `missed_offline`, `missed_unanswered` or `missed_abandoned`.
    public var outcome: String
    public var arrivedOffline: Bool
    /// UTC, ms since the epoch.
    public var firstMessageAt: Int64
    /// The queue's wall clock at the first message, `YYYY-MM-DD HH:MM`.
    public var firstMessageLocal: String
    public var answeredAt: Int64?
    public var endedAt: Int64?
    public var waitMilliseconds: Int64?
    public var durationMilliseconds: Int64?
    public var messagesIn: Int
    public var messagesOut: Int
    public var transfers: Int
    public var optedOut: Bool
    public var deliveryFailures: Int

    public init(
        id: Int64, queue: String, channel: String, librarian: String, patron: String, state: String, outcome: String, arrivedOffline: Bool,
        firstMessageAt: Int64, firstMessageLocal: String, answeredAt: Int64?, endedAt: Int64?, waitMilliseconds: Int64?,
        durationMilliseconds: Int64?, messagesIn: Int, messagesOut: Int, transfers: Int, optedOut: Bool, deliveryFailures: Int
    ) {
        self.id = id
        self.queue = queue
        self.channel = channel
        self.librarian = librarian
        self.patron = patron
        self.state = state
        self.outcome = outcome
        self.arrivedOffline = arrivedOffline
        self.firstMessageAt = firstMessageAt
        self.firstMessageLocal = firstMessageLocal
        self.answeredAt = answeredAt
        self.endedAt = endedAt
        self.waitMilliseconds = waitMilliseconds
        self.durationMilliseconds = durationMilliseconds
        self.messagesIn = messagesIn
        self.messagesOut = messagesOut
        self.transfers = transfers
        self.optedOut = optedOut
        self.deliveryFailures = deliveryFailures
    }
}

/// Which chats to export, and whether patrons' numbers and screen names are shown in full.
public struct ChatExportRequest: Sendable, Equatable {
    public var statistics: StatisticsRequest
    public var fullPatrons: Bool

    public init(statistics: StatisticsRequest, fullPatrons: Bool) {
        self.statistics = statistics
        self.fullPatrons = fullPatrons
    }
}

public enum ChatExportCSV {
    /// The header row's columns, in order.
    public static let columns = [
        "chat_id", "queue", "channel", "librarian", "patron", "state", "outcome", "arrived_offline", "first_message_utc",
        "first_message_local", "answered_utc", "ended_utc", "first_reply_seconds", "duration_seconds", "messages_in", "messages_out",
        "transfers", "opted_out", "delivery_failures",
    ]

    public static var header: String { columns.joined(separator: ",") + "\r\n" }

    /// One chat as a CSV line (RFC 4180: CRLF, fields quoted when they hold a comma, quote or line break).
    public static func line(_ chat: ExportedChat, fullPatrons: Bool) -> String {
        func time(_ value: Int64?) -> String { value.map(CivilTime.iso8601) ?? "" }
        func seconds(_ value: Int64?) -> String {
            guard let value else { return "" }
            let whole = value / 1000
            let fraction = value % 1000
            return "\(whole)." + String(repeating: "0", count: 3 - String(fraction).count) + "\(fraction)"
        }
        let fields = [
            String(chat.id), chat.queue, chat.channel, chat.librarian, fullPatrons ? chat.patron : PatronMask.masked(chat.patron), chat.state,
            chat.outcome, chat.arrivedOffline ? "1" : "0", time(chat.firstMessageAt), chat.firstMessageLocal, time(chat.answeredAt),
            time(chat.endedAt), seconds(chat.waitMilliseconds), seconds(chat.durationMilliseconds), String(chat.messagesIn),
            String(chat.messagesOut), String(chat.transfers), chat.optedOut ? "1" : "0", String(chat.deliveryFailures),
        ]
        return fields.map(quoted).joined(separator: ",") + "\r\n"
    }

    /// A field as CSV: quoted when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet
    /// never runs a patron's address as a formula (a phone number's `+` included).
    static func quoted(_ field: String) -> String {
        var text = field
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}

/// A patron's address with most of it hidden, so an export can leave the building: phone numbers keep their first
/// four digits (country and area code) and last four, other addresses their first and last character; the rest
/// becomes `x`, one per character, so two patrons still look different.
public enum PatronMask {
    public static func masked(_ address: String) -> String {
        let characters = Array(address)
        let isPhone = characters.first == "+" && characters.dropFirst().allSatisfy(\.isNumber)
        if isPhone {
            guard characters.count > 9 else { return "+" + String(repeating: "x", count: characters.count - 1) }
            return String(characters.prefix(5)) + String(repeating: "x", count: characters.count - 9) + String(characters.suffix(4))
        }
        guard characters.count > 2 else { return String(repeating: "x", count: characters.count) }
        return String(characters[0]) + String(repeating: "x", count: characters.count - 2) + String(characters[characters.count - 1])
    }
}
