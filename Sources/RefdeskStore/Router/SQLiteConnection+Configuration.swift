/// Queues, operators, their XMPP addresses and assignments: the configuration the admin API edits.
extension SQLiteConnection {
    // MARK: Queues

    /// Adds a queue; fails with a constraint violation when the name is taken.
    public func insertQueue(_ queue: QueueRecord) throws {
        try run(
            """
            INSERT INTO queues (name, routing_policy, chat_limit, offline_reply, keeps_transcripts, opening_hours, time_zone)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            queue.name, queue.routingPolicy.rawValue, queue.chatLimit, queue.offlineReply, queue.keepsTranscripts,
            queue.openingHours, queue.timeZone
        )
    }

    /// Replaces the settings of the queue named `queue.name`.
    public func updateQueue(_ queue: QueueRecord) throws {
        try run(
            """
            UPDATE queues SET routing_policy = ?, chat_limit = ?, offline_reply = ?, keeps_transcripts = ?,
                opening_hours = ?, time_zone = ? WHERE name = ?
            """,
            queue.routingPolicy.rawValue, queue.chatLimit, queue.offlineReply, queue.keepsTranscripts,
            queue.openingHours, queue.timeZone, queue.name
        )
        guard changes == 1 else { throw StoreError.notFound(table: "queues", key: "'\(queue.name)'") }
    }

    /// Every queue, by name.
    public func allQueues() throws -> [QueueRecord] {
        try query(
            "SELECT name, routing_policy, chat_limit, offline_reply, keeps_transcripts, opening_hours, time_zone FROM queues ORDER BY name"
        ) { row in
            QueueRecord(
                name: try row.string(0),
                routingPolicy: try .decode(try row.string(1), table: "queues", column: "routing_policy"),
                chatLimit: try row.int(2),
                offlineReply: try row.string(3),
                keepsTranscripts: try row.bool(4),
                openingHours: row.optionalString(5),
                timeZone: row.optionalString(6)
            )
        }
    }

    private static let queueColumns = "id, name, routing_policy, chat_limit, offline_reply, keeps_transcripts, opening_hours, time_zone"

    private static func storedQueue(_ row: SQLiteRow) throws -> StoredQueue {
        StoredQueue(
            id: try row.int64(0),
            record: QueueRecord(
                name: try row.string(1),
                routingPolicy: try .decode(try row.string(2), table: "queues", column: "routing_policy"),
                chatLimit: try row.int(3),
                offlineReply: try row.string(4),
                keepsTranscripts: try row.bool(5),
                openingHours: row.optionalString(6),
                timeZone: row.optionalString(7)
            )
        )
    }

    /// Every queue with its id, by name.
    public func storedQueues() throws -> [StoredQueue] {
        try query("SELECT \(Self.queueColumns) FROM queues ORDER BY name", row: Self.storedQueue)
    }

    /// The queue named `name`, or `nil`.
    public func storedQueue(named name: String) throws -> StoredQueue? {
        try queryFirst("SELECT \(Self.queueColumns) FROM queues WHERE name = ?", name, row: Self.storedQueue)
    }

    /// The queue with id `id`, or `nil`.
    public func storedQueue(id: Int64) throws -> StoredQueue? {
        try queryFirst("SELECT \(Self.queueColumns) FROM queues WHERE id = ?", id, row: Self.storedQueue)
    }

    /// Deletes a queue with its assignments, offline inbox and auto-reply marks. Refused while gateways
    /// still deliver to it, since their patrons would be left with nowhere to go.
    /// - Returns: `false` when there was no such queue.
    @discardableResult
    public func deleteQueue(name: String) throws -> Bool {
        let gatewayCount = try queryFirst("SELECT count(*) FROM gateways WHERE queue = ?", name) { try $0.int(0) } ?? 0
        guard gatewayCount == 0 else {
            throw StoreError.queueHasGateways(queue: name, gatewayCount: gatewayCount)
        }
        try run("DELETE FROM queues WHERE name = ?", name)
        return changes == 1
    }

    // MARK: Operators

    /// Adds an operator; fails with a constraint violation when the name is taken.
    public func insertOperator(_ record: OperatorRecord) throws {
        try run("INSERT INTO operators (name, role, password_hash) VALUES (?, ?, ?)", record.name, record.role.rawValue, record.passwordHash)
    }

    /// Every operator, by name.
    public func allOperators() throws -> [OperatorRecord] {
        try query("SELECT name, role, password_hash FROM operators ORDER BY name") { row in
            OperatorRecord(
                name: try row.string(0),
                role: try .decode(try row.string(1), table: "operators", column: "role"),
                passwordHash: row.optionalString(2)
            )
        }
    }

    /// Every operator with their id, by name.
    public func storedOperators() throws -> [StoredOperator] {
        try query("SELECT id, name, role, password_hash FROM operators ORDER BY name") { row in
            StoredOperator(
                id: try row.int64(0),
                record: OperatorRecord(
                    name: try row.string(1),
                    role: try .decode(try row.string(2), table: "operators", column: "role"),
                    passwordHash: row.optionalString(3)
                )
            )
        }
    }

    /// The operator named `name`, or `nil`.
    public func operatorRecord(named name: String) throws -> OperatorRecord? {
        try queryFirst("SELECT name, role, password_hash FROM operators WHERE name = ?", name) { row in
            OperatorRecord(
                name: try row.string(0),
                role: try .decode(try row.string(1), table: "operators", column: "role"),
                passwordHash: row.optionalString(2)
            )
        }
    }

    /// How many operators have the admin role.
    public func adminCount() throws -> Int {
        try queryFirst("SELECT count(*) FROM operators WHERE role = 'admin'") { try $0.int(0) } ?? 0
    }

    /// Replaces an operator's admin API password hash.
    /// - Returns: `false` when there is no such operator.
    @discardableResult
    public func setPasswordHash(operatorName name: String, hash: String) throws -> Bool {
        try run("UPDATE operators SET password_hash = ? WHERE name = ?", hash, name)
        return changes == 1
    }

    /// Deletes an operator with their staffing JIDs and assignments.
    @discardableResult
    public func deleteOperator(name: String) throws -> Bool {
        try run("DELETE FROM operators WHERE name = ?", name)
        return changes == 1
    }

    // MARK: Staffing JIDs

    /// Fails with a constraint violation when the JID already belongs to an operator: a message from
    /// that address must identify exactly one person.
    public func insertStaffingJID(_ record: StaffingJIDRecord) throws {
        try run("INSERT INTO staffing_jids (jid, operator) VALUES (?, ?)", record.jid, record.operatorName)
    }

    /// The JIDs of one operator, or of everyone when `operatorName` is `nil`.
    public func staffingJIDs(operatorName: String? = nil) throws -> [StaffingJIDRecord] {
        let map = { (row: SQLiteRow) in StaffingJIDRecord(jid: try row.string(0), operatorName: try row.string(1)) }
        if let operatorName {
            return try query("SELECT jid, operator FROM staffing_jids WHERE operator = ? ORDER BY jid", operatorName, row: map)
        }
        return try query("SELECT jid, operator FROM staffing_jids ORDER BY operator, jid", row: map)
    }

    /// - Returns: `false` when the JID was not registered.
    @discardableResult
    public func deleteStaffingJID(_ jid: String) throws -> Bool {
        try run("DELETE FROM staffing_jids WHERE jid = ?", jid)
        return changes == 1
    }

    // MARK: Assignments

    /// Assigns an operator to a queue; assigning twice is harmless.
    public func insertAssignment(_ record: AssignmentRecord) throws {
        try run("INSERT OR IGNORE INTO assignments (operator, queue) VALUES (?, ?)", record.operatorName, record.queueName)
    }

    /// The assignments of one queue, or all of them when `queueName` is `nil`.
    public func assignments(queueName: String? = nil) throws -> [AssignmentRecord] {
        let map = { (row: SQLiteRow) in AssignmentRecord(operatorName: try row.string(0), queueName: try row.string(1)) }
        if let queueName {
            return try query("SELECT operator, queue FROM assignments WHERE queue = ? ORDER BY operator", queueName, row: map)
        }
        return try query("SELECT operator, queue FROM assignments ORDER BY queue, operator", row: map)
    }

    /// - Returns: `false` when there was no such assignment.
    @discardableResult
    public func deleteAssignment(_ record: AssignmentRecord) throws -> Bool {
        try run("DELETE FROM assignments WHERE operator = ? AND queue = ?", record.operatorName, record.queueName)
        return changes == 1
    }
}
