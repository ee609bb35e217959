// refdeskctl: refdesk's admin API from the shell.

#if canImport(Glibc)
import Glibc
#endif
import AdminAPI
import ArgumentParser
import RefdeskVersion

@main
struct RefdeskCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refdeskctl",
        abstract: "Manage refdesk (queues, gateways, users, staffing JIDs, assignments, chats) over its admin API.",
        discussion: """
            The API's address and the account come from flags, then REFDESK_URL, REFDESK_USER, REFDESK_PASSWORD, \
            REFDESK_CA_FILE and REFDESK_COOKIE_FILE, then the file named by REFDESKCTL_CONFIG (default \
            ~/.config/refdesk/refdeskctl.conf, lines like url = "https://desk.example.org:8443"). `refdeskctl login` \
            keeps the session cookie in the cookie file; with REFDESK_USER and REFDESK_PASSWORD set, commands sign in \
            by themselves. Exit status: 0 success, 1 refused, 3 not signed in or not allowed, 4 not found, \
            5 conflict (in use, already exists), 64 usage, 69 API unreachable. Shell completions: \
            refdeskctl --generate-completion-script bash|zsh|fish.
            """,
        version: RefdeskVersion.number,
        subcommands: [
            Login.self, Logout.self, Whoami.self, Status.self, Queues.self, Gateways.self, Users.self, Staffing.self, Assignments.self,
            Chats.self, ChatCommand.self, Stats.self, PresenceCommand.self,
        ]
    )
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The admin API's base URL (REFDESK_URL).")
    var url: String?
    @Option(help: "The account to sign in as (REFDESK_USER).")
    var user: String?
    @Option(help: "A CA certificate file to verify the server with, e.g. the development certificate (REFDESK_CA_FILE).")
    var caFile: String?
    @Option(help: "Where the session cookie is kept (REFDESK_COOKIE_FILE).")
    var cookieFile: String?
    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    func connection() -> Connection {
        let config = ConfigFile.load()
        let environment = { (name: String) in getenv(name).map { String(cString: $0) } }
        let home = environment("HOME") ?? "/tmp"
        return Connection(
            baseURL: url ?? environment("REFDESK_URL") ?? config["url"] ?? "https://localhost:8443",
            user: user ?? environment("REFDESK_USER") ?? config["user"],
            password: environment("REFDESK_PASSWORD"),
            caFile: caFile ?? environment("REFDESK_CA_FILE") ?? config["ca_file"],
            cookieFile: cookieFile ?? environment("REFDESK_COOKIE_FILE") ?? config["cookie_file"] ?? "\(home)/.refdeskctl-cookies"
        )
    }

    /// Runs a request and shows its answer (with `show`, or as a table), or fails with the API's message and a
    /// fitting exit status.
    func run(
        _ method: String, _ path: String, form: [(String, String)] = [], query: [(String, String)] = [],
        show: ((JSONValue) -> Void)? = nil
    ) throws {
        do {
            let response = try connection().request(method, path, form: form, query: query)
            guard (200..<300).contains(response.status) else { throw Connection.failure(response) }
            if let value = response.json {
                if let show, !json { show(value) } else { Output.show(value, json: json) }
            } else {
                print(response.text, terminator: "")
            }
        } catch let failure as Connection.Failure {
            printError("refdeskctl: \(failure.description)")
            throw ExitCode(failure.code)
        }
    }
}

/// `key = "value"` lines; `#` starts a comment.
enum ConfigFile {
    static func load() -> [String: String] {
        let path = getenv("REFDESKCTL_CONFIG").map { String(cString: $0) }
            ?? "\(getenv("HOME").map { String(cString: $0) } ?? "/nonexistent")/.config/refdesk/refdeskctl.conf"
        guard let file = fopen(path, "r") else { return [:] }
        defer { fclose(file) }
        var values: [String: String] = [:]
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = content.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters() }
            guard parts.count == 2, !parts[0].isEmpty else { continue }
            var value = parts[1]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            values[parts[0]] = value
        }
        return values
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

/// A path segment, percent-encoded (usernames contain `@`, JIDs `/`).
func segment(_ text: String) -> String { FormDecoding.percentEncode(text) }

/// Reads a secret from standard input (one line), so it never appears in `ps` or shell history.
func readSecret(_ what: String) throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        printError("refdeskctl: expected the \(what) on standard input")
        throw ExitCode(64)
    }
    return line
}

let api = "/2011-12-03"

struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign in; the password is read from REFDESK_PASSWORD or standard input.")
    @OptionGroup var options: GlobalOptions

    func run() throws {
        var connection = options.connection()
        guard let user = connection.user else {
            printError("refdeskctl: say who signs in with --user or REFDESK_USER")
            throw ExitCode(64)
        }
        if connection.password == nil { connection.password = try readSecret("password") }
        do {
            let response = try connection.login(user: user, password: connection.password ?? "")
            if let value = response.json { Output.show(value, json: options.json) }
        } catch let failure as Connection.Failure {
            printError("refdeskctl: \(failure.description)")
            throw ExitCode(failure.code)
        }
    }
}

struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End the session.")
    @OptionGroup var options: GlobalOptions
    func run() throws { try options.run("POST", "\(api)/auth/logout") }
}

struct Whoami: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the signed-in account and its role.")
    @OptionGroup var options: GlobalOptions
    func run() throws { try options.run("GET", "\(api)/auth/whoami") }
}

/// Queue settings shared by create and update.
struct QueueOptions: ParsableArguments {
    @Option(help: "ring-all or least-busy.") var routing: String?
    @Option(help: "Most chats per operator (least-busy).") var chatLimit: Int?
    @Option(help: "Sent to patrons while the queue is offline.") var offlineReply: String?
    @Option(help: "e.g. \"Mon-Fri 09:00-17:00\"; empty removes them.") var openingHours: String?
    @Option(help: "IANA time zone of the opening hours.") var timeZone: String?
    @Option(help: "Keep message texts (true/false).") var keepTranscripts: Bool?

    var form: [(String, String)] {
        var fields: [(String, String)] = []
        if let routing { fields.append(("routing", routing)) }
        if let chatLimit { fields.append(("chatLimit", String(chatLimit))) }
        if let offlineReply { fields.append(("offlineReply", offlineReply)) }
        if let openingHours { fields.append(("openingHours", openingHours)) }
        if let timeZone { fields.append(("timeZone", timeZone)) }
        if let keepTranscripts { fields.append(("keepsTranscripts", keepTranscripts ? "true" : "false")) }
        return fields
    }
}

struct Queues: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, create, update and delete queues.", subcommands: [List.self, Show.self, Create.self, Update.self, Delete.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        func run() throws { try options.run("GET", "\(api)/queues") }
    }
    struct Show: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Queue name or id.") var queue: String
        func run() throws { try options.run("GET", "\(api)/queues/\(segment(queue))") }
    }
    struct Create: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var name: String
        @OptionGroup var settings: QueueOptions
        func run() throws { try options.run("POST", "\(api)/queues", form: [("name", name)] + settings.form) }
    }
    struct Update: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @OptionGroup var settings: QueueOptions
        func run() throws { try options.run("PUT", "\(api)/queues/\(segment(queue))", form: settings.form) }
    }
    struct Delete: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        func run() throws { try options.run("DELETE", "\(api)/queues/\(segment(queue))") }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole desk at a glance: queues online, who staffs, waiting chats, gateways and their states, outbox depth."
    )
    @OptionGroup var options: GlobalOptions

    func run() throws {
        try options.run("GET", "\(api)/status") { value in
            let xmpp = value["xmppConnected"]
            print("XMPP: " + (xmpp == .bool(true) ? "connected" : xmpp == .bool(false) ? "disconnected" : "not configured"))
            print("")
            let queues = value["queues"]?.arrayValue ?? []
            Output.table(
                header: ["queue", "id", "online", "staffed by", "waiting chats", "offline messages"],
                rows: queues.map { queue in
                    ["name", "id", "online", "staffedBy", "waitingChats", "offlineMessages"].map { Output.cell(queue[$0] ?? .null) }
                }
            )
            print("")
            let gateways = value["gateways"]?.arrayValue ?? []
            if gateways.isEmpty {
                print("No gateways.")
            } else {
                Output.table(
                    header: ["gateway", "queue", "protocol", "username", "state", "since", "reason"],
                    rows: gateways.map { gateway in
                        ["id", "queue", "protocol", "username", "state", "since", "reason"].map { Output.cell(gateway[$0] ?? .null) }
                    }
                )
            }
            print("")
            let outbox = value["outbox"]?.objectValue ?? []
            let depths = outbox.map { "\($0.0) \(Output.cell($0.1))" }
            print("Outbox: " + (depths.isEmpty ? "empty" : depths.joined(separator: ", ")))
        }
    }
}

struct Gateways: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List gateways with their states; add, show, re-key and delete a queue's gateways (AIM screen names, Twilio numbers).",
        subcommands: [List.self, Show.self, Add.self, SetPassword.self, Delete.self], defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every gateway with its state; with a queue, that queue's gateways in LibraryH3lp's shape."
        )
        @OptionGroup var options: GlobalOptions
        @Argument(help: "A queue name or id.") var queue: String?
        func run() throws {
            if let queue {
                try options.run("GET", "\(api)/queues/\(segment(queue))/gateways")
            } else {
                try options.run("GET", "\(api)/gateways")
            }
        }
    }
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One gateway with its state (online, offline, connecting, failed), why, and since when.")
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @Argument(help: "A gateway id, or a protocol followed by a username.") var gateway: [String]
        func validate() throws {
            guard gateway.count == 1 || gateway.count == 2 else { throw ValidationError("give an id, or a protocol and a username") }
        }
        func run() throws {
            try options.run("GET", "\(api)/queues/\(segment(queue))/gateways/" + gateway.map(segment).joined(separator: "/"))
        }
    }
    struct SetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Change a gateway's password or token (read from standard input); its bridge signs in again with it."
        )
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @Argument(help: "A gateway id, or a protocol followed by a username.") var gateway: [String]
        func validate() throws {
            guard gateway.count == 1 || gateway.count == 2 else { throw ValidationError("give an id, or a protocol and a username") }
        }
        func run() throws {
            let password = try readSecret("gateway password")
            try options.run(
                "PUT", "\(api)/queues/\(segment(queue))/gateways/" + gateway.map(segment).joined(separator: "/"), form: [("password", password)]
            )
        }
    }
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a gateway; its password is read from standard input.")
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @Option(help: "aim or twilio.", completion: .list(["aim", "twilio"])) var `protocol`: String
        @Option(help: "Screen name (name@aol.com) or phone number (+15555551234).") var username: String
        @Flag(help: "The account has no password (read none from standard input).") var noPassword = false
        func run() throws {
            let password = noPassword ? "" : try readSecret("gateway password")
            try options.run(
                "POST", "\(api)/queues/\(segment(queue))/gateways", form: [("protocol", self.protocol), ("username", username), ("password", password)]
            )
        }
    }
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a gateway by id, or by protocol and username.")
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @Argument(help: "A gateway id, or a protocol followed by a username.") var gateway: [String]
        func validate() throws {
            guard gateway.count == 1 || gateway.count == 2 else { throw ValidationError("give an id, or a protocol and a username") }
        }
        func run() throws {
            try options.run("DELETE", "\(api)/queues/\(segment(queue))/gateways/" + gateway.map(segment).joined(separator: "/"))
        }
    }
}

struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, create and delete users (operators and admins); set passwords.",
        subcommands: [List.self, Show.self, Create.self, Delete.self, Passwd.self], defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        func run() throws { try options.run("GET", "\(api)/users") }
    }
    struct Show: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var name: String
        func run() throws { try options.run("GET", "\(api)/users/\(segment(name))") }
    }
    struct Create: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var name: String
        @Option(help: "admin or operator.", completion: .list(["admin", "operator"])) var role = "operator"
        @Flag(help: "Read a password for the admin API from standard input (without one the user only chats).") var passwordStdin = false
        func run() throws {
            var form = [("name", name), ("role", role)]
            if passwordStdin { form.append(("password", try readSecret("password"))) }
            try options.run("POST", "\(api)/users", form: form)
        }
    }
    struct Delete: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var name: String
        func run() throws { try options.run("DELETE", "\(api)/users/\(segment(name))") }
    }
    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a password, read from standard input.")
        @OptionGroup var options: GlobalOptions
        @Argument var name: String
        func run() throws { try options.run("POST", "\(api)/users/\(segment(name))/password", form: [("password", try readSecret("password"))]) }
    }
}

struct Staffing: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add and remove the XMPP accounts a user staffs from (admins only).", subcommands: [List.self, Add.self, Remove.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var user: String
        func run() throws { try options.run("GET", "\(api)/users/\(segment(user))/staffing") }
    }
    struct Add: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var user: String
        @Argument var jid: String
        func run() throws { try options.run("POST", "\(api)/users/\(segment(user))/staffing", form: [("jid", jid)]) }
    }
    struct Remove: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var user: String
        @Argument var jid: String
        func run() throws { try options.run("DELETE", "\(api)/users/\(segment(user))/staffing/\(segment(jid))") }
    }
}

struct Assignments: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add and remove the operators assigned to a queue.", subcommands: [List.self, Add.self, Remove.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        func run() throws { try options.run("GET", "\(api)/queues/\(segment(queue))/operators") }
    }
    struct Add: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @Argument var user: String
        func run() throws { try options.run("POST", "\(api)/queues/\(segment(queue))/operators", form: [("operator", user)]) }
    }
    struct Remove: ParsableCommand {
        @OptionGroup var options: GlobalOptions
        @Argument var queue: String
        @Argument var user: String
        func run() throws { try options.run("DELETE", "\(api)/queues/\(segment(queue))/operators/\(segment(user))") }
    }
}

struct Chats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Chat history: new, ongoing and completed chats, newest first.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this queue.") var queue: String?
    @Option(help: "new, ongoing or completed.", completion: .list(["new", "ongoing", "completed"])) var state: String?
    @Option(help: "From this day (YYYY-MM-DD, UTC).") var from: String?
    @Option(help: "To this day, inclusive (YYYY-MM-DD, UTC).") var to: String?
    @Option(help: "At most this many.") var limit: Int?
    @Option(help: "Only chats whose patron address, librarian or (where transcripts are kept) text contains this.") var text: String?

    func run() throws {
        var query: [(String, String)] = []
        if let queue { query.append(("queue", queue)) }
        if let text { query.append(("text", text)) }
        if let state { query.append(("state", state)) }
        if let from { query.append(("from", from)) }
        if let to { query.append(("to", to)) }
        if let limit { query.append(("limit", String(limit))) }
        try options.run("GET", "\(api)/chats", query: query)
    }
}

struct PresenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "presence", abstract: "Whether a queue is available now (no login needed).")
    @OptionGroup var options: GlobalOptions
    @Argument var queue: String
    func run() throws { try options.run("GET", "/presence/\(segment(queue))") }
}

struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chat", abstract: "One chat with its transcript (for queues that keep them).")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The chat's id.") var id: Int
    func run() throws {
        try options.run("GET", "\(api)/chats/\(id)") { chat in
            for key in ["id", "queue", "protocol", "patron", "state", "operator", "started", "answered", "ended"] {
                print(key.padding(to: 9) + "  " + Output.cell(chat[key] ?? .null))
            }
            guard case .array(let lines)? = chat["lines"] else { return }
            for line in lines {
                let text = line["text"]?.stringValue ?? "(text not kept)"
                print("[\(Output.cell(line["at"] ?? .null))] \(Output.cell(line["sender"] ?? .null)): \(text.replacingNewlines())")
            }
        }
    }
}
