import Foundation
import Testing

@testable import RefdeskCore

/// A randomised model check of the switchboard's promises, the ones a library cares about most:
///
/// 1. no patron line is given twice to the same staffing JID (whatever presence does meanwhile: away, extended
///    away, busy, offline, back; several resources; restarts);
/// 2. every patron line reaches some librarian's JID once the queue is staffed;
/// 3. every librarian's reply is sent to the patron once, or refused with a notice to its writer.
///
/// Each run drives a desk with long random sequences of patron lines (SMS and AIM), replies, presence changes of
/// several resources, transfers, closes, ticks and restarts from the saved state (JSON, as the router keeps it;
/// presence is learned again afterwards, as the router's probes do, while other events go on), and checks the
/// invariants after every event. A failure names its seed and step: `REFDESK_MODEL_SEED=<seed> swift test --filter
/// SwitchboardModelCheck` replays it (with `REFDESK_MODEL_TRACE=1` printing each event, `=2` also each action). Each
/// run uses a fixed seed and a few random ones, printed.
@Suite("Switchboard model check", .serialized)
struct SwitchboardModelCheckTests {
    static let steps = 2_500

    static var seeds: [UInt64] {
        if let fixed = ProcessInfo.processInfo.environment["REFDESK_MODEL_SEED"].flatMap({ UInt64($0) }) { return [fixed] }
        var generator = SystemRandomNumberGenerator()
        return [20_261_205] + (0..<3).map { _ in generator.next() % 1_000_000_000 }
    }

    @Test("random runs keep every promise", arguments: [RoutingPolicy.ringAll, .leastBusy(limit: 2)])
    func randomRunsKeepEveryPromise(routing: RoutingPolicy) throws {
        for seed in Self.seeds {
            print("switchboard model check: routing \(routing), seed \(seed), \(Self.steps) events")
            var model = try DeskModel(routing: routing, seed: seed)
            model.run(steps: Self.steps)
            model.drain()
            model.checkEveryLineReachedALibrarian()
            for failure in model.failures.prefix(5) {
                Issue.record("seed \(seed) (replay: REFDESK_MODEL_SEED=\(seed)), routing \(routing): \(failure)")
            }
        }
    }

    /// The run that found the first bug: a librarian offered unanswered chats goes extended away and comes back.
    @Test("a librarian who comes back is not given the lines they already have")
    func aLibrarianWhoComesBackIsNotGivenTheLinesTheyAlreadyHave() throws {
        var model = try DeskModel(routing: .ringAll, seed: 1)
        let bob = model.resource("bob@library.example.org", "desk")
        model.apply(.presence(bob, .available))
        model.apply(.tick(seconds: 5))
        model.apply(.patronLine(patron: 0))
        model.apply(.patronLine(patron: 1))
        model.apply(.patronLine(patron: 0))
        model.apply(.presence(bob, .xa))
        model.apply(.tick(seconds: 1))
        model.apply(.presence(bob, .available))
        model.apply(.tick(seconds: 1))
        model.apply(.patronLine(patron: 1))
        #expect(model.failures.isEmpty, "\(model.failures)")
        #expect(model.linesGiven(to: "bob@library.example.org") == model.patronLinesSent)
    }
}

/// SplitMix64: small, fast and fully determined by its seed, so a failing run replays.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The desk of `Desk` driven at random, with a ledger of what every JID was given.
struct DeskModel {
    enum Step: CustomStringConvertible {
        case presence(FullJID, Show?)
        case patronLine(patron: Int)
        case reply(FullJID, ConversationID)
        case command(FullJID, ConversationID, String)
        case tick(seconds: Double)
        case restart

        var description: String {
            switch self {
            case .presence(let jid, let show): "presence \(jid) \(show.map(\.rawValue) ?? "unavailable")"
            case .patronLine(let patron): "patron \(patron) writes"
            case .reply(let jid, let id): "\(jid) replies in chat \(id)"
            case .command(let jid, let id, let text): "\(jid) types \(text) in chat \(id)"
            case .tick(let seconds): "tick after \(seconds) s"
            case .restart: "restart from the saved state"
            }
        }
    }

    var board: Switchboard
    let configuration: Configuration
    var random: SeededGenerator
    var time = t(0)
    var failures: [String] = []
    var stepNumber = 0

    /// Resources the model's librarians have, and what each shows now (absent: offline).
    let resources: [FullJID]
    var showing: [FullJID: Show] = [:]
    /// Presence the switchboard has not heard since the last restart; it arrives a few events later, as probe answers.
    var unannounced: [FullJID] = []

    let patrons: [(gateway: GatewayID, address: String)] = [
        (Desk.sms, "+15551230001"), (Desk.sms, "+15551230002"), (Desk.sms, "+15551230003"),
        (Desk.aim, "patron one"), (Desk.aim, "patron two"), (Desk.sms, "+15551230004"),
    ]
    var lineCounter = 0
    var replyCounter = 0
    var messageCounter = 0

    /// Patron lines written, and those the switchboard dropped on purpose (the loop guard).
    var patronLinesSent: Set<String> = []
    var patronLinesDropped: Set<String> = []
    /// How often each JID (bare) was given each patron line.
    var given: [String: [String: Int]] = [:]
    /// Conversations each JID (bare) has seen, so its librarian can act in them.
    var known: [String: Set<ConversationID>] = [:]
    /// How often each reply reached the patron.
    var repliesSent: [String: Int] = [:]

    init(routing: RoutingPolicy, seed: UInt64) throws {
        var configuration = try Desk.configuration(routing: routing, pingPong: PingPongPolicy(maximumTurns: 1_000))
        configuration.cannedReplies = [:]
        self.configuration = configuration
        board = Switchboard(configuration: configuration)
        random = SeededGenerator(seed: seed)
        resources = try [
            "alice@library.example.org", "alice.w@gmail.com", "bob@library.example.org", "carol@library.example.org",
            "dave@library.example.org",
        ].flatMap { bare in try ["desk", "phone"].map { try FullJID(parsing: "\(bare)/\($0)") } }
    }

    func resource(_ bare: String, _ name: String) -> FullJID {
        resources.first { $0.bare.description == bare && $0.resource == name }!
    }

    var patronLinesGiven: Set<String> {
        Set(given.values.flatMap(\.keys))
    }

    func linesGiven(to bare: String) -> Set<String> {
        Set(given[bare, default: [:]].keys)
    }

    // MARK: Running

    mutating func run(steps: Int) {
        for _ in 0..<steps { apply(randomStep()) }
    }

    mutating func randomStep() -> Step {
        if !unannounced.isEmpty, Int.random(in: 0..<3, using: &random) == 0 {
            let jid = unannounced.removeFirst()
            return .presence(jid, showing[jid])
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<22:
            let jid = resources.randomElement(using: &random)!
            let shows: [Show?] = [.available, .available, .chat, .away, .xa, .dnd, nil]
            return .presence(jid, shows.randomElement(using: &random)!)
        case 22..<52:
            return .patronLine(patron: Int.random(in: 0..<patrons.count, using: &random))
        case 52..<72:
            if let (jid, id) = someoneWhoCanAct() { return .reply(jid, id) }
            return .tick(seconds: 0.5)
        case 72..<80:
            if let (jid, id) = someoneWhoCanAct() {
                let commands = ["!close", "/close", "!transfer bob", "!transfer carol", "/transfer alice", "!transfer archives", "!transfer reference", "!who", "/who"]
                return .command(jid, id, commands.randomElement(using: &random)!)
            }
            return .tick(seconds: 0.5)
        case 80..<97:
            return .tick(seconds: [0.2, 0.5, 1, 2, 3].randomElement(using: &random)!)
        default:
            return .restart
        }
    }

    /// A connected resource of a JID that has seen a conversation, and that conversation (open or not).
    mutating func someoneWhoCanAct() -> (FullJID, ConversationID)? {
        let candidates = resources.filter { showing[$0] != nil && !(known[$0.bare.description] ?? []).isEmpty }
        guard let jid = candidates.randomElement(using: &random) else { return nil }
        let conversations = known[jid.bare.description]!.sorted()
        return (jid, conversations.randomElement(using: &random)!)
    }

    mutating func apply(_ step: Step) {
        stepNumber += 1
        if ProcessInfo.processInfo.environment["REFDESK_MODEL_TRACE"] != nil { print("step \(stepNumber): \(step) [L\(lineCounter + 1) next]") }
        switch step {
        case .presence(let jid, let show):
            showing[jid] = show
            unannounced.removeAll { $0 == jid }
            check(board.handle(.presence(jid: jid.bare, resource: jid.resource, show: show, at: advance(0.05))), step)
        case .patronLine(let index):
            let patron = patrons[index]
            lineCounter += 1
            messageCounter += 1
            let body = "L\(lineCounter)"
            patronLinesSent.insert(body)
            let message = PatronMessage(gatewayID: patron.gateway, sender: patron.address, body: body, messageID: "M\(messageCounter)", receivedAt: advance(0.3))
            let actions = board.handle(.patronMessage(message))
            if actions.contains(where: { if case .dropped(let reason) = $0 { reason.contains("message M\(messageCounter) ") } else { false } }) {
                patronLinesDropped.insert(body)
            }
            check(actions, step)
        case .reply(let jid, let id):
            replyCounter += 1
            let body = "R\(replyCounter)"
            let actions = board.handle(.operatorMessage(from: jid, conversation: id, body: body, at: advance(0.3)))
            let sent = actions.filter { if case .sendToPatron(_, _, let text, _) = $0 { text == body } else { false } }.count
            let told = actions.contains { if case .notifyOperator(let to, _, _, _) = $0 { to == jid } else { false } }
            if sent + (told ? 1 : 0) != 1 {
                failures.append("step \(stepNumber) (\(step)): the reply was sent \(sent) times and its writer \(told ? "was" : "was not") told")
            }
            check(actions, step)
        case .command(let jid, let id, let text):
            check(board.handle(.operatorMessage(from: jid, conversation: id, body: text, at: advance(0.3))), step)
        case .tick(let seconds):
            check(board.handle(.tick(at: advance(seconds))), step)
        case .restart:
            restart()
        }
    }

    /// Saves the switchboard's durable state as JSON and starts a new one from it, as the router does after a crash.
    /// Presence is not part of it: every connected resource is announced again a few events later.
    mutating func restart() {
        do {
            let saved = try JSONEncoder().encode(board.snapshot)
            let snapshot = try JSONDecoder().decode(Snapshot.self, from: saved)
            board = Switchboard(configuration: configuration, snapshot: snapshot)
        } catch {
            failures.append("step \(stepNumber): the snapshot did not survive JSON: \(error)")
        }
        unannounced = resources.filter { showing[$0] != nil }.shuffled(using: &random)
    }

    mutating func advance(_ seconds: Double) -> Timestamp {
        time = time + .milliseconds(Int64(seconds * 1000))
        return time
    }

    // MARK: Invariants

    /// Records what the actions give to whom and checks promises 1 and 3 incrementally.
    mutating func check(_ actions: [Action], _ step: Step) {
        if ProcessInfo.processInfo.environment["REFDESK_MODEL_TRACE"] == "2" { for action in actions { print("    \(action)") } }
        // A librarian's message finds its patron's chats by address through an index: it must agree with a walk.
        for patron in patrons {
            let walked = board.openConversations.filter { $0.patron.address == patron.address }.map(\.id)
            let indexed = board.openConversations(patronAddress: patron.address).map(\.id)
            if walked != indexed { failures.append("step \(stepNumber) (\(step)): chats with \(patron.address): index \(indexed), walk \(walked)") }
        }
        for action in actions {
            switch action {
            case .offerToOperator(_, let jid, let conversation, _, let lines):
                known[jid.bare.description, default: []].insert(conversation)
                for line in lines { give(line.text, to: jid, step) }
            case .sendToOperator(let jid, let conversation, _, let line):
                known[jid.bare.description, default: []].insert(conversation)
                give(line.text, to: jid, step)
            case .notifyOperator(let jid, let conversation, _, let text):
                if let conversation { known[jid.bare.description, default: []].insert(conversation) }
                // Closing a waiting chat lists, in its answer, the lines its closer had not been given: given then.
                if let listed = text.range(of: "which you had not seen:\n") { give(String(text[listed.upperBound...]), to: jid, step) }
            case .sendToPatron(_, _, let text, _) where text.hasPrefix("R"):
                repliesSent[text, default: 0] += 1
                if repliesSent[text]! > 1 { failures.append("step \(stepNumber) (\(step)): reply \(text) sent \(repliesSent[text]!) times") }
            default:
                break
            }
        }
    }

    mutating func give(_ text: String, to jid: FullJID, _ step: Step) {
        // A hand-over repeats the conversation so far on purpose; it is one line of its own.
        guard !text.hasPrefix("Transferred from") else { return }
        for token in Self.patronTokens(in: text) {
            let bare = jid.bare.description
            given[bare, default: [:]][token, default: 0] += 1
            if given[bare]![token]! > 1 {
                failures.append("step \(stepNumber) (\(step)): \(bare) was given \(token) \(given[bare]![token]!) times")
            }
        }
    }

    static func patronTokens(in text: String) -> [String] {
        text.split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { word in
            word.count > 1 && word.first == "L" && word.dropFirst().allSatisfy(\.isNumber)
        }
    }

    /// Stops the patrons and staffs everyone: librarians take and close what they are offered until no chat is open,
    /// so least-busy limits free up and every waiting line is offered.
    mutating func drain() {
        unannounced = []
        for jid in resources where jid.resource == "desk" { apply(.presence(jid, .available)) }
        apply(.tick(seconds: 5))
        for _ in 0..<200 {
            let open = board.openConversations
            guard !open.isEmpty else { break }
            for conversation in open {
                let owner = conversation.operator.flatMap { name in configuration.operators.first { $0.name == name } }
                let target = conversation.offers.first?.jid
                    ?? owner.flatMap { op in resources.first { op.staffingJIDs.contains($0.bare) && showing[$0] != nil } }
                guard let jid = target else { continue }
                apply(.command(jid, conversation.id, "!close"))
            }
            apply(.tick(seconds: 1))
        }
    }

    /// Promise 2, once everyone is staffing: every line a patron wrote (and the loop guard did not drop) was given to
    /// some librarian's JID.
    mutating func checkEveryLineReachedALibrarian() {
        let missing = patronLinesSent.subtracting(patronLinesDropped).subtracting(patronLinesGiven)
        if !missing.isEmpty {
            failures.append("lines no librarian was given after the desk was staffed: \(missing.sorted { $0.count == $1.count ? $0 < $1 : $0.count < $1.count }.prefix(10))")
        }
        let open = board.openConversations.count
        if open > 0 { failures.append("\(open) conversations still open after draining") }
    }
}
