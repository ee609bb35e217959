/// Refusals and surprises of the typed store operations, phrased for the admin API and the journal.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A column held a value this version does not know (e.g. a routing policy written by hand).
    case unexpectedValue(table: String, column: String, value: String)
    /// "One account, one queue": the account already serves a queue.
    case gatewayAccountTaken(protocol: String, username: String, queue: String)
    /// A queue cannot be deleted while gateways still deliver to it.
    case queueHasGateways(queue: String, gatewayCount: Int)
    /// The row to update does not exist.
    case notFound(table: String, key: String)

    public var description: String {
        switch self {
        case .unexpectedValue(let table, let column, let value):
            return "\(table).\(column) holds '\(value)', which this refdesk does not understand"
        case .gatewayAccountTaken(let network, let username, let queue):
            return "the \(network) account '\(username)' already serves queue '\(queue)'; one account can serve only one queue"
        case .queueHasGateways(let queue, let count):
            return "queue '\(queue)' still has \(count) gateway(s); delete or move them before deleting the queue"
        case .notFound(let table, let key):
            return "no row \(key) in \(table)"
        }
    }
}

extension RawRepresentable where RawValue == String {
    /// Decodes a stored enum value, naming the column when the text is unknown.
    static func decode(_ text: String, table: String, column: String) throws -> Self {
        guard let value = Self(rawValue: text) else {
            throw StoreError.unexpectedValue(table: table, column: column, value: text)
        }
        return value
    }
}
