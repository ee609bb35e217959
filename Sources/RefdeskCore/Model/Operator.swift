/// A librarian and the XMPP accounts they staff from.
///
/// Several staffing JIDs let one person answer from a local account and from external ones
/// (another server, a phone app) without appearing as several people.
public struct Operator: Hashable, Sendable, Codable {
    public var name: OperatorName
    /// Bare JIDs, normalised; presence from any resource of any of them counts for this operator.
    public var staffingJIDs: [BareJID]

    public init(name: OperatorName, staffingJIDs: [BareJID] = []) {
        self.name = name
        self.staffingJIDs = staffingJIDs
    }
}

/// One operator staffing one queue. Assignments are many-to-many.
public struct Assignment: Hashable, Sendable, Codable {
    public var `operator`: OperatorName
    public var queue: QueueName

    public init(operator: OperatorName, queue: QueueName) {
        self.operator = `operator`
        self.queue = queue
    }
}
