import Synchronization

/// One dependency's state, as `/healthz` reports it.
public struct HealthCheck: Sendable, Equatable {
    /// A short stable name: `xmpp`, `router`, `database`.
    public var name: String
    public var healthy: Bool
    /// What is wrong (or what is up), for a person reading the answer.
    public var detail: String

    public init(name: String, healthy: Bool, detail: String) {
        self.name = name
        self.healthy = healthy
        self.detail = detail
    }
}

/// The answer of `/healthz`: healthy only when every check is.
public struct HealthReport: Sendable, Equatable {
    public var checks: [HealthCheck]

    public init(checks: [HealthCheck]) {
        self.checks = checks
    }

    public var healthy: Bool { checks.allSatisfy(\.healthy) }

    /// `{"healthy":false,"checks":[{"name":"xmpp","healthy":false,"detail":"…"}]}`
    public var json: String {
        let items = checks.map { check in
            "{\"name\":\(Self.quoted(check.name)),\"healthy\":\(check.healthy),\"detail\":\(Self.quoted(check.detail))}"
        }
        return "{\"healthy\":\(healthy),\"checks\":[\(items.joined(separator: ","))]}\n"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A connection's up/down state, set by the code that sees it change and read by `/healthz`.
public final class ConnectionHealth: Sendable {
    private let state: Mutex<(up: Bool, detail: String)>
    /// The check's name in the report.
    public let name: String

    /// Starts down, with `detail` saying what it waits for.
    public init(name: String, detail: String) {
        self.name = name
        self.state = Mutex((false, detail))
    }

    public func set(up: Bool, detail: String) {
        state.withLock { $0 = (up, detail) }
    }

    public var isUp: Bool { state.withLock { $0.up } }

    public var check: HealthCheck {
        let (up, detail) = state.withLock { $0 }
        return HealthCheck(name: name, healthy: up, detail: detail)
    }
}
