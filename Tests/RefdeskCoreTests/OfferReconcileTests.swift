import DaemonSupport
import Testing
@testable import RefdeskCore

/// Offers are reconciled only for conversations that can come out differently (see
/// `Switchboard.reconcileOffers`). These tests drive a desk through long random sequences of
/// everything that happens at a reference desk and check, after every event, that walking
/// every waiting conversation afresh would change nothing: the shortcut never misses work.
@Suite("Offer reconciliation visits only what can change")
struct OfferReconcileTests {
    @Test("after every event, a full reconcile finds nothing left to offer or withdraw", arguments: [RoutingPolicy.ringAll, .leastBusy(limit: 2)], 0..<4)
    func nothingMissed(routing: RoutingPolicy, seed: Int) throws {
        var desk = try Desk(routing: routing, pingPong: PingPongPolicy(maximumTurns: 1_000))
        var random = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        let staff = [desk.aliceDesk, desk.alicePhone, desk.bob, desk.carol, desk.dave]
        let shows: [Show?] = [.available, .chat, .away, .xa, .dnd, nil]
        let patrons = (0..<12).map { "+1555000\(2000 + $0)" }
        var second: Int64 = 0
        var offersMade = 0

        for step in 0..<600 {
            second += Int64.random(in: 0...3, using: &random)
            let now = t(second)
            let open = desk.board.openConversations
            var actions: [Action]
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<25:
                actions = desk.presence(staff.randomElement(using: &random)!, shows.randomElement(using: &random)!, at: now)
            case 25..<55:
                actions = desk.text(from: patrons.randomElement(using: &random)!, "question \(step)", at: now)
            case 55..<70 where !open.isEmpty:
                actions = desk.reply(from: staff.randomElement(using: &random)!, in: open.randomElement(using: &random)!.id, "answer \(step)", at: now)
            case 70..<75 where !open.isEmpty:
                actions = desk.board.handle(.closeConversation(open.randomElement(using: &random)!.id, at: now))
            case 75..<80:
                let name: OperatorName = ["alice", "bob", "carol", "dave"].randomElement(using: &random)!
                let queue = Bool.random(using: &random) ? Desk.reference : Desk.archives
                let change: ConfigurationChange = desk.board.directory.isAssigned(name, to: queue) ? .unassign(name, queue: queue) : .assign(name, queue: queue)
                actions = desk.board.handle(.configure(change, at: now))
            default:
                actions = desk.tick(at: now)
            }
            offersMade += actions.offers.count

            var fresh = desk.board
            fresh.offerBases = [:]
            let missed = fresh.reconcileOffers(at: now)
            #expect(missed.isEmpty, "step \(step): a full reconcile still had work: \(missed)")
            #expect(fresh.conversations == desk.board.conversations, "step \(step): a full reconcile changed offers")
            if !missed.isEmpty { return }
        }
        #expect(offersMade > 20, "the walk should exercise offers, made \(offersMade)")
    }
}
