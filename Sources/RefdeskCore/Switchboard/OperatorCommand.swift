/// A command an operator gives refdesk: typed in a patron's window (`!close`), or chosen from a client's ad-hoc
/// command menu (XEP-0050), which builds the same value.
///
/// Commands start with `!`, which no XMPP client claims: every popular client runs `/`-words itself (`/close`
/// closes the window, `/who` and `/help` are the client's own), so a `/`-command reaches refdesk only from clients
/// that pass unknown ones on. `/` still works wherever it gets through. A line that really starts with either
/// character is typed with it doubled (`!!`, `//`) and goes to the patron with one.
public enum OperatorCommand: Hashable, Sendable {
    /// The list of commands.
    case help
    /// Hand the chat to an operator or a queue, by name.
    case transfer(to: String)
    /// End the chat.
    case close
    /// Send a configured reply by name; `nil` lists the names.
    case canned(String?)
    /// Who is available on a queue; `nil` means the chat's own queue.
    case who(queue: String?)
    /// The auto-logout timer.
    case logout(AutoLogoutRequest)

    /// What an operator asks of their auto-logout timer.
    public enum AutoLogoutRequest: Hashable, Sendable {
        /// Say whether a timer runs, and until when.
        case status
        /// Stop the timer (and come back if it already expired).
        case off
        /// Start it: no new chats after this many minutes.
        case minutes(Int)
    }

    /// The characters that start a command.
    public static let prefixes: Set<Character> = ["!", "/"]

    /// The longest auto-logout timer, in minutes: a working day and then some.
    public static let maximumAutoLogoutMinutes = 24 * 60

    /// The short help every operator gets for `!help` and after a command typed wrong.
    public static let helpText =
        "Commands: !transfer NAME (an operator or a queue), !close, !canned [NAME], !who [QUEUE], "
        + "!logout MINUTES or !logout off, !help. Where your client lets them through, /close and the others work too. "
        + "To send a message that starts with ! or /, type it twice: !! or //"

    /// Reads a command line: a prefix (`!` or `/`, optional here), the command word in any case, then its argument.
    /// A line with nothing after the prefix asks for help. Throws what was wrong, in words for the operator, when the
    /// word is not a command or the argument is missing or not valid.
    public init(parsing line: String) throws(CommandMistake) {
        // Split on Unicode scalars, not characters: a space followed by a combining mark is one character, so a
        // character split would read `!canned ߭x` (the form `typed` writes) differently from the line it came from.
        var rest = Substring(line).unicodeScalars[...]
        var prefix = "!"
        if let first = rest.first, Self.prefixes.contains(Character(first)) {
            prefix = String(first)
            rest = rest.dropFirst()
        }
        let wordEnd = rest.firstIndex { $0.properties.isWhitespace } ?? rest.endIndex
        let word = String(String.UnicodeScalarView(rest[..<wordEnd]))
        let argument = Self.trimmed(rest[wordEnd...])
        switch word.lowercased() {
        case "", "help":
            self = .help
        case "transfer":
            guard !argument.isEmpty else { throw .missingArgument(usage: "Usage: !transfer NAME, where NAME is an operator or a queue.") }
            self = .transfer(to: argument)
        case "close":
            self = .close
        case "canned":
            self = .canned(argument.isEmpty ? nil : argument)
        case "who":
            self = .who(queue: argument.isEmpty ? nil : argument)
        case "logout":
            self = .logout(try Self.autoLogout(argument))
        default:
            throw .unknownCommand(prefix + String(word))
        }
    }

    /// `off`, nothing (the status) or a whole number of minutes from 1 to ``maximumAutoLogoutMinutes``.
    static func autoLogout(_ argument: String) throws(CommandMistake) -> AutoLogoutRequest {
        if argument.isEmpty { return .status }
        if argument.lowercased() == "off" { return .off }
        guard argument.allSatisfy(\.isASCII), let minutes = Int(argument), (1...maximumAutoLogoutMinutes).contains(minutes) else {
            throw .notMinutes(argument)
        }
        return .minutes(minutes)
    }

    /// The command as an operator would type it; reading it back gives the same command.
    public var typed: String {
        switch self {
        case .help: "!help"
        case .transfer(let target): "!transfer \(target)"
        case .close: "!close"
        case .canned(let name): name.map { "!canned \($0)" } ?? "!canned"
        case .who(let queue): queue.map { "!who \($0)" } ?? "!who"
        case .logout(.status): "!logout"
        case .logout(.off): "!logout off"
        case .logout(.minutes(let minutes)): "!logout \(minutes)"
        }
    }

    /// `text` without whitespace scalars at either end.
    static func trimmed(_ text: Substring.UnicodeScalarView.SubSequence) -> String {
        let start = text.firstIndex { !$0.properties.isWhitespace } ?? text.endIndex
        let end = text.lastIndex { !$0.properties.isWhitespace }.map(text.index(after:)) ?? start
        return String(String.UnicodeScalarView(text[start..<max(start, end)]))
    }
}

/// A command typed wrong; the description is the answer the operator reads.
public enum CommandMistake: Error, Hashable, Sendable, CustomStringConvertible {
    /// The word after the prefix is not a command (given as typed, with its prefix).
    case unknownCommand(String)
    /// The command needs an argument; the usage says which.
    case missingArgument(usage: String)
    /// `!logout` with something that is not a number of minutes in range.
    case notMinutes(String)

    /// How `!logout` is used.
    public static let logoutUsage = "Usage: !logout MINUTES (1 to \(OperatorCommand.maximumAutoLogoutMinutes)) or !logout off."

    public var description: String {
        switch self {
        case .unknownCommand(let typed): "Unknown command \(typed). " + OperatorCommand.helpText
        case .missingArgument(let usage): usage
        case .notMinutes(let argument):
            "\"\(argument)\" is not a number of minutes from 1 to \(OperatorCommand.maximumAutoLogoutMinutes). \(Self.logoutUsage)"
        }
    }
}

/// What an operator typed in a patron's window: words for the patron, a command for refdesk, or a command typed
/// wrong (answered with what was wrong).
public enum OperatorLine: Hashable, Sendable {
    /// For the patron, with an escaping doubled prefix (`!!`, `//`) reduced to one.
    case text(String)
    case command(OperatorCommand)
    case mistake(CommandMistake)

    /// Sorts a typed line: it is a command when it starts with `!` or `/` that is not doubled.
    public init(parsing body: String) {
        guard let first = body.first, OperatorCommand.prefixes.contains(first) else {
            self = .text(body)
            return
        }
        if body.dropFirst().first == first {
            self = .text(String(body.dropFirst()))
            return
        }
        do {
            self = .command(try OperatorCommand(parsing: body))
        } catch {
            self = .mistake(error)
        }
    }
}
