/// Everything an admin sets up: queues, operators and their staffing JIDs, assignments,
/// gateways, canned replies, and the timing rules.
public struct Configuration: Hashable, Sendable, Codable {
    public var queues: [QueueConfiguration]
    public var operators: [Operator]
    public var assignments: [Assignment]
    public var gateways: [Gateway]
    /// How long a queue's new presence must hold before it is reported.
    public var settleTime: Duration
    public var pingPong: PingPongPolicy
    /// Country code for phone numbers written without `+`.
    public var defaultCountryCode: String
    /// Replies operators send with `/canned NAME`, by name; names are matched ignoring case.
    public var cannedReplies: [String: String]
    /// The library's IANA time zone, for clock times shown to operators (the `[10:02]` of a
    /// transferred conversation). Queues with opening hours name their own zone.
    public var timeZone: String

    public init(
        queues: [QueueConfiguration] = [],
        operators: [Operator] = [],
        assignments: [Assignment] = [],
        gateways: [Gateway] = [],
        settleTime: Duration = .seconds(2),
        pingPong: PingPongPolicy = .init(),
        defaultCountryCode: String = "1",
        cannedReplies: [String: String] = [:],
        timeZone: String = "UTC"
    ) {
        self.queues = queues
        self.operators = operators
        self.assignments = assignments
        self.gateways = gateways
        self.settleTime = settleTime
        self.pingPong = pingPong
        self.defaultCountryCode = defaultCountryCode
        self.cannedReplies = cannedReplies
        self.timeZone = timeZone
    }

    /// Reads configurations written before canned replies and the time zone existed, with
    /// their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        queues = try container.decode([QueueConfiguration].self, forKey: .queues)
        operators = try container.decode([Operator].self, forKey: .operators)
        assignments = try container.decode([Assignment].self, forKey: .assignments)
        gateways = try container.decode([Gateway].self, forKey: .gateways)
        settleTime = try container.decode(Duration.self, forKey: .settleTime)
        pingPong = try container.decode(PingPongPolicy.self, forKey: .pingPong)
        defaultCountryCode = try container.decode(String.self, forKey: .defaultCountryCode)
        cannedReplies = try container.decodeIfPresent([String: String].self, forKey: .cannedReplies) ?? [:]
        timeZone = try container.decodeIfPresent(String.self, forKey: .timeZone) ?? "UTC"
    }

    /// The configuration as the sequence of admin changes that builds it.
    public var changes: [ConfigurationChange] {
        queues.map { .putQueue($0) }
            + operators.flatMap { op in [.addOperator(op.name)] + op.staffingJIDs.map { .addStaffingJID($0, operator: op.name) } }
            + assignments.map { .assign($0.operator, queue: $0.queue) }
            + gateways.map { .addGateway($0) }
    }

    /// Checks the whole configuration with the same rules as individual changes (unknown
    /// queues, duplicate ids, loop-guard collisions, opening hours that close before they
    /// open), and the canned replies, so a stored configuration that was edited by hand is
    /// caught before the router starts. Given `timeZones`, time-zone names must be known to it.
    public func validate(timeZones: (any CivilTimeConverter)? = nil) throws(ConfigurationError) {
        var directory = Directory(configuration: Configuration(settleTime: settleTime, pingPong: pingPong, defaultCountryCode: defaultCountryCode))
        for change in changes {
            try directory.check(change)
            if let timeZones { try Directory.checkTimeZones(of: change, timeZones) }
            directory.apply(change)
        }
        var seen: [String: String] = [:]
        for name in cannedReplies.keys.sorted() {
            guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
                throw ConfigurationError("The canned reply name \"\(name)\" must be one word")
            }
            if let other = seen.updateValue(name, forKey: name.lowercased()) {
                throw ConfigurationError("The canned replies \(other) and \(name) differ only in case")
            }
        }
        if let timeZones, !timeZones.knows(timeZone) {
            throw ConfigurationError("Unknown time zone \(timeZone)")
        }
    }
}

/// The configuration indexed for look-ups.
///
/// Changed only through ``apply(_:)``, which keeps ``loopGuard`` in step: the guard screens
/// every patron message, so it is built when accounts change, not per message (building it
/// normalises every gateway account and staffing JID).
struct Directory: Sendable {
    private(set) var queues: [QueueName: QueueConfiguration] = [:]
    private(set) var operators: [OperatorName: Operator] = [:]
    private(set) var assignments: Set<Assignment> = []
    private(set) var gateways: [GatewayID: Gateway] = [:]
    let settleTime: Duration
    let pingPong: PingPongPolicy
    let defaultCountryCode: String
    let cannedReplies: [String: String]
    let timeZone: String
    /// Gateway accounts and staffing JIDs, normalised: see ``LoopGuard``.
    private(set) var loopGuard: LoopGuard

    init(configuration: Configuration) {
        settleTime = configuration.settleTime
        pingPong = configuration.pingPong
        defaultCountryCode = configuration.defaultCountryCode
        cannedReplies = configuration.cannedReplies
        timeZone = configuration.timeZone
        for queue in configuration.queues { queues[queue.name] = queue }
        for op in configuration.operators { operators[op.name] = op }
        assignments = Set(configuration.assignments)
        for gateway in configuration.gateways { gateways[gateway.id] = gateway }
        loopGuard = LoopGuard(gateways: [], staffingJIDs: [], defaultCountryCode: defaultCountryCode)
        rebuildLoopGuard()
    }

    var configuration: Configuration {
        Configuration(
            queues: queues.values.sorted { $0.name < $1.name },
            operators: operators.values.sorted { $0.name < $1.name },
            assignments: assignments.sorted { ($0.queue, $0.operator) < ($1.queue, $1.operator) },
            gateways: gateways.values.sorted { $0.id < $1.id },
            settleTime: settleTime,
            pingPong: pingPong,
            defaultCountryCode: defaultCountryCode,
            cannedReplies: cannedReplies,
            timeZone: timeZone
        )
    }

    private mutating func rebuildLoopGuard() {
        loopGuard = LoopGuard(
            gateways: Array(gateways.values),
            staffingJIDs: operators.values.flatMap(\.staffingJIDs),
            defaultCountryCode: defaultCountryCode
        )
    }

    func operatorOwning(_ jid: BareJID) -> Operator? {
        operators.values.first { $0.staffingJIDs.contains(jid) }
    }

    func operators(assignedTo queue: QueueName) -> [Operator] {
        assignments.filter { $0.queue == queue }
            .compactMap { operators[$0.operator] }
            .sorted { $0.name < $1.name }
    }

    func isAssigned(_ name: OperatorName, to queue: QueueName) -> Bool {
        assignments.contains(Assignment(operator: name, queue: queue))
    }

    func gateways(on queue: QueueName) -> [Gateway] {
        gateways.values.filter { $0.queue == queue }.sorted { $0.id < $1.id }
    }

    func check(_ change: ConfigurationChange) throws(ConfigurationError) {
        switch change {
        case .putQueue(let queue):
            if queue.name.rawValue.isEmpty { throw ConfigurationError("A queue needs a name") }
            if case .leastBusy(let limit) = queue.routing, limit < 1 {
                throw ConfigurationError("The least-busy limit \(limit) of queue \(queue.name) must be at least 1")
            }
            do {
                try queue.openingHours?.validate()
            } catch {
                throw ConfigurationError("Queue \(queue.name): \(error.message)")
            }
        case .addOperator(let name):
            if name.rawValue.isEmpty { throw ConfigurationError("An operator needs a name") }
            if operators[name] != nil { throw ConfigurationError("An operator named \(name) already exists") }
        case .addStaffingJID(let jid, let name):
            try requireOperator(name)
            try loopGuard.checkStaffingJID(jid)
        case .removeStaffingJID(let jid, let name):
            try requireOperator(name)
            if operators[name]?.staffingJIDs.contains(jid) != true {
                throw ConfigurationError("Operator \(name) has no staffing JID \(jid)")
            }
        case .assign(let name, let queue), .unassign(let name, let queue):
            try requireOperator(name)
            try requireQueue(queue)
        case .addGateway(let gateway):
            try requireQueue(gateway.queue)
            if gateways[gateway.id] != nil { throw ConfigurationError("A gateway with id \(gateway.id) already exists") }
            try loopGuard.checkGatewayAccount(gateway.account, protocol: gateway.protocol)
        case .removeGateway(let id):
            if gateways[id] == nil { throw ConfigurationError("There is no gateway with id \(id)") }
        }
    }

    /// Refuses a queue whose opening hours name a time zone the converter does not know.
    static func checkTimeZones(of change: ConfigurationChange, _ timeZones: any CivilTimeConverter) throws(ConfigurationError) {
        guard case .putQueue(let queue) = change, let zone = queue.openingHours?.timeZone, !timeZones.knows(zone) else { return }
        throw ConfigurationError("Unknown time zone \(zone) in the opening hours of queue \(queue.name)")
    }

    /// The canned reply whose name matches `name` ignoring case.
    func cannedReply(named name: String) -> (name: String, text: String)? {
        let lowered = name.lowercased()
        return cannedReplies.sorted { $0.key < $1.key }.first { $0.key.lowercased() == lowered }.map { ($0.key, $0.value) }
    }

    /// Applies a change that passed `check`.
    mutating func apply(_ change: ConfigurationChange) {
        switch change {
        case .putQueue(let queue): queues[queue.name] = queue
        case .addOperator(let name): operators[name] = Operator(name: name)
        case .addStaffingJID(let jid, let name): operators[name]?.staffingJIDs.append(jid)
        case .removeStaffingJID(let jid, let name): operators[name]?.staffingJIDs.removeAll { $0 == jid }
        case .assign(let name, let queue): assignments.insert(Assignment(operator: name, queue: queue))
        case .unassign(let name, let queue): assignments.remove(Assignment(operator: name, queue: queue))
        case .addGateway(let gateway): gateways[gateway.id] = gateway
        case .removeGateway(let id): gateways[id] = nil
        }
        switch change {
        case .addStaffingJID, .removeStaffingJID, .addGateway, .removeGateway: rebuildLoopGuard()
        case .putQueue, .addOperator, .assign, .unassign: break
        }
    }

    private func requireOperator(_ name: OperatorName) throws(ConfigurationError) {
        if operators[name] == nil { throw ConfigurationError("There is no operator named \(name)") }
    }

    private func requireQueue(_ name: QueueName) throws(ConfigurationError) {
        if queues[name] == nil { throw ConfigurationError("There is no queue named \(name)") }
    }
}
