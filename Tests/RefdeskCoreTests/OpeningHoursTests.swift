import Testing
@testable import RefdeskCore

/// New York without daylight saving, which is all a fixed-offset converter knows.
let newYorkZones = FixedOffsetTimeZones(["America/New_York": .seconds(-5 * 3600), "UTC": .zero])

/// A moment in New York (UTC-5) in the week starting Sunday 2023-12-31; `week: 1` is the next one.
func newYork(_ day: Weekday, _ hour: Int, _ minute: Int = 0, second: Int = 0, week: Int = 0) -> Timestamp {
    // Sunday 2023-12-31 00:00 in New York is 05:00 UTC.
    let sunday: Int64 = 1_703_980_800_000 + 5 * 3_600_000
    let seconds = ((week * 7 + day.rawValue) * 24 + hour) * 3600 + minute * 60 + second
    return Timestamp(millisecondsSinceEpoch: sunday + Int64(seconds) * 1000)
}

@Suite("Opening hours")
struct OpeningHoursTests {
    static let reply = "We're closed. We open {next_open}."

    static func hours() throws -> OpeningHours {
        try OpeningHours(parsing: "Mon-Fri 09:00-17:00, Sat 10:00-14:00", timeZone: "America/New_York")
    }

    /// The desk's `reference` queue open Mon–Fri 9–5 and Sat 10–2, New York time.
    static func desk() throws -> Desk {
        var configuration = try Desk.configuration()
        configuration.queues[0].openingHours = try hours()
        configuration.queues[0].offlineReply = reply
        try configuration.validate(timeZones: newYorkZones)
        return try Desk(configuration: configuration, timeZones: newYorkZones)
    }

    @Test("outside opening hours the queue is offline although alice is available")
    func closedWhileStaffed() throws {
        var desk = try Self.desk()
        desk.presence(desk.aliceDesk, .available, at: newYork(.monday, 8))
        #expect(desk.tick(at: newYork(.monday, 8, 1)).queuePresenceChanges.isEmpty)
        #expect(!desk.board.isOnline(Desk.reference))
        #expect(desk.board.isRoutable("alice"))

        let arrival = desk.text(from: "+15551234567", "Are you there?", at: newYork(.monday, 8, 2))
        #expect(arrival.stored.map(\.text) == ["Are you there?"])
        #expect(arrival.offers.isEmpty)
    }

    @Test("the queue comes online on a tick when its hours open and goes offline when they close, debounced")
    func opensAndClosesOnTicks() throws {
        var desk = try Self.desk()
        desk.presence(desk.aliceDesk, .available, at: newYork(.monday, 8, 59))
        #expect(desk.tick(at: newYork(.monday, 8, 59, second: 59)).queuePresenceChanges.isEmpty)
        #expect(desk.tick(at: newYork(.monday, 9)).queuePresenceChanges.isEmpty)
        let opened = desk.tick(at: newYork(.monday, 9, second: 2))
        #expect(opened.queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: true)])
        #expect(opened.contains(.setGatewayOnline(Desk.sms, online: true)))

        #expect(desk.tick(at: newYork(.monday, 17)).queuePresenceChanges.isEmpty)
        let closed = desk.tick(at: newYork(.monday, 17, second: 2))
        #expect(closed.queuePresenceChanges == [.queuePresenceChanged(Desk.reference, online: false)])
        #expect(closed.contains(.setGatewayOnline(Desk.sms, online: false)))
    }

    @Test("messages kept while closed are delivered when the queue opens")
    func inboxDeliveredAtOpening() throws {
        var desk = try Self.desk()
        desk.presence(desk.bob, .available, at: newYork(.monday, 7))
        desk.text(from: "+15551234567", "Early question", at: newYork(.monday, 8))
        desk.tick(at: newYork(.monday, 9))
        let opened = desk.tick(at: newYork(.monday, 9, second: 2))
        #expect(opened.offers.map(\.messages) == [["(sent 1 h ago) Early question"]])
    }

    @Test(
        "the offline reply names the next opening time",
        arguments: [
            (newYork(.monday, 8), "Monday 09:00"),
            (newYork(.monday, 17), "Tuesday 09:00"),
            (newYork(.friday, 18), "Saturday 10:00"),
            (newYork(.saturday, 15), "Monday 09:00"),
            (newYork(.sunday, 12), "Monday 09:00"),
        ]
    )
    func nextOpeningInReply(at time: Timestamp, next: String) throws {
        var desk = try Self.desk()
        let actions = desk.text(from: "+15551234567", "hello?", at: time)
        #expect(actions.toPatrons.map(\.text) == ["We're closed. We open \(next)."])
    }

    @Test("within opening hours with nobody available, {next_open} reads soon")
    func openButUnstaffed() throws {
        var desk = try Self.desk()
        #expect(desk.text(from: "+15551234567", "hello?", at: newYork(.wednesday, 12)).toPatrons.map(\.text) == ["We're closed. We open soon."])
    }

    @Test("the next opening is given as an instant too")
    func nextOpeningInstant() throws {
        let desk = try Self.desk()
        let next = try #require(desk.board.nextOpening(of: Desk.reference, after: newYork(.saturday, 15)))
        #expect(next.at == newYork(.monday, 9, week: 1))
        #expect(next.description == "Monday 09:00")
        #expect(desk.board.nextOpening(of: Desk.reference, after: newYork(.monday, 10)) == nil)
        #expect(desk.board.nextOpening(of: Desk.archives, after: newYork(.saturday, 15)) == nil)
    }

    @Test("the next opening accounts for a change of UTC offset before it")
    func daylightSavingChange() throws {
        /// UTC-5 until Sunday noon in New York, UTC-4 from then on.
        struct SpringForward: CivilTimeConverter {
            func offsetFromUTC(in timeZone: String, at instant: Timestamp) -> Duration? {
                instant < newYork(.sunday, 12) ? .seconds(-5 * 3600) : .seconds(-4 * 3600)
            }
        }
        let hours = try Self.hours()
        let next = try #require(hours.nextOpening(after: newYork(.saturday, 15), timeZones: SpringForward()))
        #expect(next.description == "Monday 09:00")
        #expect(next.at == newYork(.monday, 8, week: 1))
    }

    @Test("!who and /transfer say until when a queue is closed")
    func commandsNameTheOpening() throws {
        var configuration = try Desk.configuration()
        configuration.queues[1].openingHours = OpeningHours(
            timeZone: "America/New_York",
            intervals: [OpeningInterval(.saturday, opens: TimeOfDay(hour: 10), closes: TimeOfDay(hour: 14))]
        )
        var desk = try Desk(configuration: configuration, timeZones: newYorkZones)
        desk.staff(desk.bob, desk.dave, at: newYork(.monday, 9))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: newYork(.monday, 10)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: newYork(.monday, 10, 1))
        #expect(
            desk.command(desk.bob, in: id, "!who archives", at: newYork(.monday, 10, 2)).notifications.map(\.text)
                == ["Available on archives: dave (available). archives is closed until Saturday 10:00."]
        )
        #expect(
            desk.command(desk.bob, in: id, "!transfer archives", at: newYork(.monday, 10, 3)).notifications.map(\.text)
                == ["Cannot transfer chat \(id) to queue archives: it is closed until Saturday 10:00. The chat stays with you."]
        )
    }

    @Test("clock times in a transfer are in the library's time zone")
    func transferTimesInLocalTime() throws {
        var configuration = try Desk.configuration()
        configuration.timeZone = "America/New_York"
        var desk = try Desk(configuration: configuration, timeZones: newYorkZones)
        desk.staff(desk.bob, desk.carol, at: newYork(.monday, 10))
        let id = try #require(desk.text(from: "+15551234567", "hi", at: newYork(.monday, 10, 2)).newConversationID)
        desk.reply(from: desk.bob, in: id, "hello", at: newYork(.monday, 10, 3))
        let handOver = desk.command(desk.bob, in: id, "!transfer carol", at: newYork(.monday, 10, 4)).notifications.first?.text
        #expect(handOver == "Transferred from bob. Conversation so far:\n[10:02] patron: hi\n[10:03] bob: hello")
    }

    // MARK: The schedule itself

    @Test("opening hours are read from the compact form admins type")
    func parsing() throws {
        let hours = try Self.hours()
        #expect(hours.intervals.count == 6)
        #expect(hours.intervals.first == OpeningInterval(.monday, opens: TimeOfDay(hour: 9), closes: TimeOfDay(hour: 17)))
        #expect(hours.intervals.last == OpeningInterval(.saturday, opens: TimeOfDay(hour: 10), closes: TimeOfDay(hour: 14)))
        #expect(try OpeningHours(parsing: "Fri-Mon 22:00–24:00", timeZone: "UTC").intervals.map(\.weekday) == [.friday, .saturday, .sunday, .monday])
        #expect(try OpeningHours(parsing: "saturday 10:00-14:00; SUN 12:00-13:30", timeZone: "UTC").description == "Sat 10:00-14:00, Sun 12:00-13:30")
        let reread = try OpeningHours(parsing: hours.description, timeZone: hours.timeZone)
        #expect(reread == hours)
    }

    @Test(
        "bad opening hours are refused with what was wrong",
        arguments: [
            ("Mon 17:00-09:00", "Opening hours Monday 17:00-09:00 close before they open; split a late night at midnight"),
            ("Funday 09:00-17:00", "\"Funday\" is not a day or a day range; write e.g. Mon, Saturday or Mon-Fri"),
            ("Mon 9-17", "\"9\" is not a time of day; write it as HH:MM, from 00:00 to 24:00"),
            ("Mon 09:00-24:30", "\"24:30\" is not a time of day; write it as HH:MM, from 00:00 to 24:00"),
            ("Mon", "Opening hours entry \"Mon\" should be days and times, like \"Mon-Fri 09:00-17:00\""),
            ("Mon 09:00", "Opening hours \"09:00\" should be a time range, like 09:00-17:00"),
        ]
    )
    func parseErrors(text: String, message: String) {
        #expect(throws: ConfigurationError(message)) { try OpeningHours(parsing: text, timeZone: "UTC") }
    }

    @Test("a queue whose hours close before they open, or name an unknown time zone, is refused")
    func refusedQueues() throws {
        var desk = try Desk(configuration: try Desk.configuration(), timeZones: newYorkZones)
        let backwards = QueueConfiguration(
            name: Desk.reference,
            openingHours: OpeningHours(timeZone: "UTC", intervals: [OpeningInterval(.monday, opens: TimeOfDay(hour: 17), closes: TimeOfDay(hour: 9))])
        )
        #expect(
            desk.board.handle(.configure(.putQueue(backwards), at: t(0)))
                == [.configurationRefused(.putQueue(backwards), reason: "Queue reference: Opening hours Monday 17:00-09:00 close before they open; split a late night at midnight")]
        )
        let mars = QueueConfiguration(name: Desk.reference, openingHours: OpeningHours(timeZone: "Mars/Olympus", intervals: []))
        #expect(throws: ConfigurationError("Unknown time zone Mars/Olympus in the opening hours of queue reference")) { try desk.board.check(.putQueue(mars)) }
        #expect(desk.board.handle(.configure(.putQueue(mars), at: t(1))).count == 1)
        #expect(desk.board.configuration.queues.first { $0.name == Desk.reference }?.openingHours == nil)

        var configuration = try Desk.configuration()
        configuration.queues[0].openingHours = mars.openingHours
        #expect(throws: ConfigurationError("Unknown time zone Mars/Olympus in the opening hours of queue reference")) {
            try configuration.validate(timeZones: newYorkZones)
        }
    }

    @Test("local time: the epoch was a Thursday, and an offset moves the day")
    func localTime() {
        let epoch = Timestamp(millisecondsSinceEpoch: 0)
        #expect(LocalTime(epoch, offset: .zero).description == "Thursday 00:00")
        #expect(LocalTime(epoch, offset: .seconds(-5 * 3600)).description == "Wednesday 19:00")
        #expect(newYorkZones.localTime(at: newYork(.saturday, 15, 30), in: "America/New_York")?.description == "Saturday 15:30")
        #expect(newYorkZones.localTime(at: epoch, in: "Europe/Nowhere") == nil)
    }
}
