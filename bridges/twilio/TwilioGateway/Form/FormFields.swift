/// The decoded fields of a form body, in the order they were sent.
///
/// Order and repetition are kept because Twilio's request signature is computed over every
/// field, repeated ones included; the typed webhook models read single values through
/// `value(_:)`, which refuses a repeated name instead of silently picking one of them.
public struct FormFields: Sendable, Equatable {
    /// Every `(name, value)` pair in body order.
    public let pairs: [Pair]

    /// One decoded `name=value` pair.
    public struct Pair: Sendable, Equatable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(pairs: [Pair]) {
        self.pairs = pairs
    }

    /// Builds fields from tuples, mostly for tests and for the REST encoder.
    public init(_ pairs: [(String, String)]) {
        self.pairs = pairs.map { Pair(name: $0.0, value: $0.1) }
    }

    /// A dictionary view holding the first value of each name.
    ///
    /// Meant for logging and quick lookups; code that must not be fooled by a repeated
    /// name uses `value(_:)` instead.
    public var dictionary: [String: String] {
        var result: [String: String] = [:]
        for pair in pairs where result[pair.name] == nil {
            result[pair.name] = pair.value
        }
        return result
    }

    /// Every value sent under `name`, in body order.
    public func values(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map(\.value)
    }

    /// The single value sent under `name`, or nil when it is absent.
    ///
    /// - Throws: `FormError.duplicateName` when the name appears more than once, because a
    ///   webhook field such as `From` or `Body` has exactly one meaning.
    public func value(_ name: String) throws(FormError) -> String? {
        var found: String?
        for pair in pairs where pair.name == name {
            if found != nil { throw .duplicateName(name) }
            found = pair.value
        }
        return found
    }

    /// The pairs as tuples, the shape `TwilioSignature` takes.
    public var tuples: [(String, String)] {
        pairs.map { ($0.name, $0.value) }
    }
}
