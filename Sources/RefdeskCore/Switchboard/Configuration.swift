/// Everything an admin sets up: queues, operators and their staffing JIDs, assignments,
/// gateways, and the timing rules.
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

    public init(
        queues: [QueueConfiguration] = [],
        operators: [Operator] = [],
        assignments: [Assignment] = [],
        gateways: [Gateway] = [],
        settleTime: Duration = .seconds(2),
        pingPong: PingPongPolicy = .init(),
        defaultCountryCode: String = "1"
    ) {
        self.queues = queues
        self.operators = operators
        self.assignments = assignments
        self.gateways = gateways
        self.settleTime = settleTime
        self.pingPong = pingPong
        self.defaultCountryCode = defaultCountryCode
    }

    /// The configuration as the sequence of admin changes that builds it.
    public var changes: [ConfigurationChange] {
        queues.map { .putQueue($0) }
            + operators.flatMap { op in [.addOperator(op.name)] + op.staffingJIDs.map { .addStaffingJID($0, operator: op.name) } }
            + assignments.map { .assign($0.operator, queue: $0.queue) }
            + gateways.map { .addGateway($0) }
    }

    /// Checks the whole configuration with the same rules as individual changes (unknown
    /// queues, duplicate ids, loop-guard collisions), so a stored configuration that was
    /// edited by hand is caught before the router starts.
    public func validate() throws(ConfigurationError) {
        var directory = Directory(configuration: Configuration(settleTime: settleTime, pingPong: pingPong, defaultCountryCode: defaultCountryCode))
        for change in changes {
            try directory.check(change)
            directory.apply(change)
        }
    }
}

/// The configuration indexed for look-ups.
struct Directory: Sendable {
    var queues: [QueueName: QueueConfiguration] = [:]
    var operators: [OperatorName: Operator] = [:]
    var assignments: Set<Assignment> = []
    var gateways: [GatewayID: Gateway] = [:]
    var settleTime: Duration
    var pingPong: PingPongPolicy
    var defaultCountryCode: String

    init(configuration: Configuration) {
        settleTime = configuration.settleTime
        pingPong = configuration.pingPong
        defaultCountryCode = configuration.defaultCountryCode
        for queue in configuration.queues { queues[queue.name] = queue }
        for op in configuration.operators { operators[op.name] = op }
        assignments = Set(configuration.assignments)
        for gateway in configuration.gateways { gateways[gateway.id] = gateway }
    }

    var configuration: Configuration {
        Configuration(
            queues: queues.values.sorted { $0.name < $1.name },
            operators: operators.values.sorted { $0.name < $1.name },
            assignments: assignments.sorted { ($0.queue, $0.operator) < ($1.queue, $1.operator) },
            gateways: gateways.values.sorted { $0.id < $1.id },
            settleTime: settleTime,
            pingPong: pingPong,
            defaultCountryCode: defaultCountryCode
        )
    }

    var loopGuard: LoopGuard {
        LoopGuard(
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
    }

    private func requireOperator(_ name: OperatorName) throws(ConfigurationError) {
        if operators[name] == nil { throw ConfigurationError("There is no operator named \(name)") }
    }

    private func requireQueue(_ name: QueueName) throws(ConfigurationError) {
        if queues[name] == nil { throw ConfigurationError("There is no queue named \(name)") }
    }
}
