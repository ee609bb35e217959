import RefdeskStore
import Testing

@Suite("Router store: queues, operators, staffing and gateways")
struct RouterConfigurationTests {
    static let askQueue = QueueRecord(
        name: "ask", routingPolicy: .ringAll, chatLimit: 3, offlineReply: "We open at 9.", keepsTranscripts: true
    )
    static let textQueue = QueueRecord(
        name: "text", routingPolicy: .leastBusy, chatLimit: 1, offlineReply: "", keepsTranscripts: false
    )

    @Test("queues are stored, listed by name, updated and deleted")
    func queues() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.textQueue)
        try db.insertQueue(Self.askQueue)
        #expect(try db.allQueues() == [Self.askQueue, Self.textQueue])

        var changed = Self.askQueue
        changed.routingPolicy = .leastBusy
        changed.chatLimit = 5
        changed.keepsTranscripts = false
        try db.updateQueue(changed)
        #expect(try db.allQueues().first == changed)

        #expect(try db.deleteQueue(name: "text"))
        #expect(try db.deleteQueue(name: "text") == false)
        #expect(try db.allQueues().map(\.name) == ["ask"])
    }

    @Test("queue names are unique")
    func queueNamesUnique() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.askQueue)
        let error = #expect(throws: SQLiteError.self) { try db.insertQueue(Self.askQueue) }
        #expect(error?.isConstraintViolation == true)
    }

    @Test("updating a queue that does not exist is reported")
    func updateMissingQueue() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        #expect(throws: StoreError.notFound(table: "queues", key: "'ask'")) { try db.updateQueue(Self.askQueue) }
    }

    @Test("operators, their staffing JIDs and assignments; deleting an operator removes both")
    func operatorsStaffingAndAssignments() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.askQueue)
        try db.insertQueue(Self.textQueue)
        let alice = OperatorRecord(name: "alice", role: .admin, passwordHash: "$argon$hash")
        let bob = OperatorRecord(name: "bob", role: .operator, passwordHash: nil)
        try db.insertOperator(bob)
        try db.insertOperator(alice)
        #expect(try db.allOperators() == [alice, bob])

        try db.insertStaffingJID(StaffingJIDRecord(jid: "alice@library.example/desk", operatorName: "alice"))
        try db.insertStaffingJID(StaffingJIDRecord(jid: "alice@library.example/phone", operatorName: "alice"))
        try db.insertStaffingJID(StaffingJIDRecord(jid: "bob@library.example", operatorName: "bob"))
        #expect(try db.staffingJIDs(operatorName: "alice").map(\.jid) == ["alice@library.example/desk", "alice@library.example/phone"])
        #expect(try db.staffingJIDs().count == 3)

        try db.insertAssignment(AssignmentRecord(operatorName: "alice", queueName: "ask"))
        try db.insertAssignment(AssignmentRecord(operatorName: "alice", queueName: "ask"))
        try db.insertAssignment(AssignmentRecord(operatorName: "bob", queueName: "ask"))
        try db.insertAssignment(AssignmentRecord(operatorName: "alice", queueName: "text"))
        #expect(try db.assignments(queueName: "ask").map(\.operatorName) == ["alice", "bob"])
        #expect(try db.assignments().count == 3)

        #expect(try db.deleteOperator(name: "alice"))
        #expect(try db.staffingJIDs().map(\.operatorName) == ["bob"])
        #expect(try db.assignments() == [AssignmentRecord(operatorName: "bob", queueName: "ask")])
    }

    @Test("a JID identifies one operator only")
    func staffingJIDUnique() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertOperator(OperatorRecord(name: "alice", role: .operator, passwordHash: nil))
        try db.insertOperator(OperatorRecord(name: "bob", role: .operator, passwordHash: nil))
        try db.insertStaffingJID(StaffingJIDRecord(jid: "desk@library.example", operatorName: "alice"))
        let error = #expect(throws: SQLiteError.self) {
            try db.insertStaffingJID(StaffingJIDRecord(jid: "desk@library.example", operatorName: "bob"))
        }
        #expect(error?.isConstraintViolation == true)
    }

    @Test("assignments must name an existing operator and queue")
    func assignmentForeignKeys() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        let error = #expect(throws: SQLiteError.self) {
            try db.insertAssignment(AssignmentRecord(operatorName: "ghost", queueName: "nowhere"))
        }
        #expect(error?.message == "FOREIGN KEY constraint failed")
    }

    @Test("gateways are stored, found by protocol and id, and deleted")
    func gateways() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.askQueue)
        let sms = try db.insertGateway(
            protocol: "sms", queue: "ask", username: "+1 555 0100", normalisedUsername: "+15550100", secret: "token", at: 1000
        )
        let aim = try db.insertGateway(
            protocol: "aim", queue: "ask", username: "Ask Library", normalisedUsername: "asklibrary", secret: "pw", at: 2000
        )
        let expected = GatewayRecord(
            id: sms, network: "sms", queueName: "ask", username: "+1 555 0100", normalisedUsername: "+15550100",
            secret: "token", createdAt: 1000
        )
        #expect(try db.gateway(id: sms) == expected)
        #expect(try db.gateways(protocol: "sms") == [expected])
        #expect(try db.gateways().map(\.id) == [sms, aim])
        #expect(try db.deleteGateway(id: sms))
        #expect(try db.gateway(id: sms) == nil)
        #expect(try db.gateways(protocol: "sms").isEmpty)
    }

    @Test("one account, one queue: the same normalised username on the same protocol is refused, naming the owner")
    func oneAccountOneQueue() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.askQueue)
        try db.insertQueue(Self.textQueue)
        _ = try db.insertGateway(protocol: "aim", queue: "ask", username: "AskLibrary", normalisedUsername: "asklibrary", secret: "", at: 1)
        let error = try #require(throws: StoreError.self) {
            _ = try db.insertGateway(protocol: "aim", queue: "text", username: "ask library", normalisedUsername: "asklibrary", secret: "", at: 2)
        }
        #expect(error == .gatewayAccountTaken(protocol: "aim", username: "ask library", queue: "ask"))
        #expect(error.description == "the aim account 'ask library' already serves queue 'ask'; one account can serve only one queue")
        // The same name on another network is another account.
        _ = try db.insertGateway(protocol: "sms", queue: "text", username: "asklibrary", normalisedUsername: "asklibrary", secret: "", at: 3)
        #expect(try db.gateways().count == 2)
    }

    @Test("a queue with gateways cannot be deleted")
    func queueWithGatewaysNotDeleted() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.askQueue)
        _ = try db.insertGateway(protocol: "sms", queue: "ask", username: "+15550100", normalisedUsername: "+15550100", secret: "", at: 1)
        #expect(throws: StoreError.queueHasGateways(queue: "ask", gatewayCount: 1)) { try db.deleteQueue(name: "ask") }
        #expect(try db.allQueues().count == 1)
    }

    @Test("patrons keep when they were first and last seen")
    func patrons() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.insertQueue(Self.askQueue)
        let gateway = try db.insertGateway(protocol: "sms", queue: "ask", username: "+15550100", normalisedUsername: "+15550100", secret: "", at: 1)
        try db.recordPatron(gatewayID: gateway, address: "+15551234567", at: 100)
        try db.recordPatron(gatewayID: gateway, address: "+15551234567", at: 300)
        try db.recordPatron(gatewayID: gateway, address: "+15551234567", at: 200)
        #expect(try db.patrons(gatewayID: gateway) == [
            PatronRecord(gatewayID: gateway, address: "+15551234567", firstSeenAt: 100, lastSeenAt: 300),
        ])
    }

    @Test("a stored value this refdesk does not know is reported, not guessed")
    func unknownEnumValue() throws {
        let scratch = try ScratchDirectory()
        let db = try openRouterDatabase(scratch.path("router.sqlite"))
        try db.execute("PRAGMA ignore_check_constraints = ON")
        try db.execute("INSERT INTO queues (name, routing_policy, chat_limit) VALUES ('odd', 'round-robin', 1)")
        #expect(throws: StoreError.unexpectedValue(table: "queues", column: "routing_policy", value: "round-robin")) {
            _ = try db.allQueues()
        }
    }
}
