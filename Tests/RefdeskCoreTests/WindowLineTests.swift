import Foundation
import Testing
@testable import RefdeskCore

/// What a librarian's window shows besides text: the pictures a patron sends, and refdesk's own words told apart from
/// the patron's.
@Suite("Lines in a patron's window")
struct WindowLineTests {
    static let picture = MediaLink(url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", contentType: "image/jpeg")

    mutating func mms(_ desk: inout Desk, _ body: String, at time: Timestamp) -> [Action] {
        desk.board.handle(
            .patronMessage(PatronMessage(gatewayID: Desk.sms, sender: "+15551234567", body: body, media: [Self.picture], messageID: "MM\(time)", receivedAt: time))
        )
    }

    static func lines(_ actions: [Action]) -> [WindowLine] {
        actions.flatMap { action -> [WindowLine] in
            switch action {
            case .offerToOperator(_, _, _, _, let lines): lines
            case .sendToOperator(_, _, _, let line): [line]
            default: []
            }
        }
    }

    @Test("a picture reaches the librarian with the patron's text, as a link of its own; the transcript keeps both")
    mutating func pictureWithText() throws {
        var desk = try Desk()
        desk.staff(desk.bob, at: t(0))
        let actions = mms(&desk, "Is this book yours?", at: t(10))
        #expect(Self.lines(actions) == [WindowLine(text: "Is this book yours?", media: [Self.picture])])
        let recorded = actions.compactMap { if case .recordTranscript(_, let line) = $0 { line.text } else { nil } }
        #expect(recorded == ["Is this book yours?\n[image/jpeg] \(Self.picture.url)"])
        let id = try #require(actions.newConversationID)

        desk.reply(from: desk.bob, in: id, "Let me look.", at: t(20))
        #expect(Self.lines(mms(&desk, "", at: t(30))) == [WindowLine(text: "", media: [Self.picture])])
    }

    @Test("a picture sent while nobody staffs waits in the offline inbox with its message, and arrives with its age")
    mutating func pictureOffline() throws {
        var desk = try Desk()
        #expect(mms(&desk, "Found this", at: t(0)).stored.map(\.media) == [[Self.picture]])
        desk.presence(desk.bob, .available, at: t(600))
        let delivered = desk.tick(at: t(610))
        #expect(Self.lines(delivered) == [WindowLine(text: "(sent 10 min ago) Found this", media: [Self.picture])])
    }

    @Test("the conversation so far that leads a chat handed to a queue is refdesk's, not the patron's")
    func handOverIsRefdesks() throws {
        var (desk, id) = try OperatorCommandTests.bobsChat()
        desk.staff(desk.dave, at: t(150))
        let offered = Self.lines(desk.command(desk.bob, in: id, "!transfer archives", at: t(200)))
        #expect(offered.map(\.fromRefdesk) == [true])
        #expect(Self.lines(desk.text(from: "+15551234567", "Hello?", at: t(210))).map(\.fromRefdesk) == [false])
    }

    @Test("a pending line saved before media and refdesk's lines existed reads as the patron's, without media")
    func oldPendingLine() throws {
        let saved = #"{"text":"hi","receivedAt":5}"#
        let line = try JSONDecoder().decode(PendingMessage.self, from: Data(saved.utf8))
        #expect(line == PendingMessage(text: "hi", receivedAt: Timestamp(millisecondsSinceEpoch: 5)))
    }
}
