import NIOConcurrencyHelpers
import RefdeskVersion

/// What a metric family counts, as the Prometheus text format names it.
public enum MetricKind: String, Sendable {
    /// Only goes up (restarts reset it to zero; Prometheus' `rate()` handles that).
    case counter
    /// Goes up and down: a depth, a connection count, a 0/1 state.
    case gauge
}

/// A small in-process metrics registry that renders the Prometheus text exposition format (version 0.0.4).
///
/// refdesk exposes a handful of counters and gauges; a client library would bring more code than the
/// format needs. Families are registered once at start, with fixed label names; each distinct tuple of
/// label values is one time series. All methods are thread-safe.
public final class MetricsRegistry: Sendable {
    private struct Family {
        var kind: MetricKind
        var help: String
        var labelNames: [String]
        var series: [[String]: Double] = [:]
    }

    private struct State {
        var order: [String] = []
        var families: [String: Family] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A daemon's registry: starts with `refdesk_build_info{version="…"} 1`, so dashboards and alerts can
    /// tell which release each process runs (and spot a host that missed an upgrade).
    public static func forDaemon(version: String = RefdeskVersion.number) -> MetricsRegistry {
        let registry = MetricsRegistry()
        registry.gauge("refdesk_build_info", help: "Always 1; the version label is the running refdesk release.", labels: ["version"])
            .set(1, labels: [version])
        return registry
    }

    /// Registers (or returns the already registered) counter family `name`; names end in `_total` by convention.
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(name, kind: .counter, help: help, labels: labels)
        return Counter(registry: self, name: name)
    }

    /// Registers (or returns the already registered) gauge family `name`.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(name, kind: .gauge, help: help, labels: labels)
        return Gauge(registry: self, name: name)
    }

    private func register(_ name: String, kind: MetricKind, help: String, labels: [String]) {
        assert(Self.isValidName(name), "metric name \(name) is not valid in the Prometheus text format")
        state.withLockedValue { state in
            guard state.families[name] == nil else { return }
            state.order.append(name)
            state.families[name] = Family(kind: kind, help: help, labelNames: labels)
        }
    }

    /// The current value of one series, or nil when it was never set (for health checks and tests).
    public func value(_ name: String, labels: [String] = []) -> Double? {
        state.withLockedValue { $0.families[name]?.series[labels] }
    }

    fileprivate func update(_ name: String, labels: [String], _ change: (inout Double) -> Void) {
        state.withLockedValue { state in
            guard var family = state.families[name] else { return }
            let key = Self.fitted(labels, to: family.labelNames.count)
            change(&family.series[key, default: 0])
            state.families[name] = family
        }
    }

    fileprivate func replace(_ name: String, with series: [[String]: Double]) {
        state.withLockedValue { state in
            guard var family = state.families[name] else { return }
            family.series = Dictionary(series.map { (Self.fitted($0.key, to: family.labelNames.count), $0.value) }, uniquingKeysWith: { $1 })
            state.families[name] = family
        }
    }

    /// A label tuple of exactly `count` values: a caller's mistake must not produce malformed output.
    private static func fitted(_ labels: [String], to count: Int) -> [String] {
        assert(labels.count == count, "expected \(count) label values, got \(labels.count)")
        if labels.count == count { return labels }
        return Array((labels + Array(repeating: "", count: max(0, count - labels.count))).prefix(count))
    }

    /// Every family in registration order, each series sorted by its label values.
    public func render() -> String {
        let (order, families) = state.withLockedValue { ($0.order, $0.families) }
        var text = ""
        for name in order {
            guard let family = families[name] else { continue }
            text += "# HELP \(name) \(Self.escapeHelp(family.help))\n"
            text += "# TYPE \(name) \(family.kind.rawValue)\n"
            for (labels, value) in family.series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                text += name
                if !labels.isEmpty {
                    let pairs = zip(family.labelNames, labels).map { "\($0)=\"\(Self.escapeLabelValue($1))\"" }
                    text += "{" + pairs.joined(separator: ",") + "}"
                }
                text += " " + Self.format(value) + "\n"
            }
        }
        return text
    }

    /// The media type of ``render()``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == ":" }
    }

    static func escapeHelp(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func escapeLabelValue(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"": out += "\\\""
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// Whole numbers without a fraction (`3`, not `3.0`); Prometheus' spellings of the special values.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// A counter family; label values are given in the order of the family's label names.
public struct Counter: Sendable {
    let registry: MetricsRegistry
    /// The family's name, as rendered.
    public let name: String

    /// Adds `amount` (ignored when negative: a counter never goes down).
    public func increment(by amount: Double = 1, labels: [String] = []) {
        guard amount >= 0 else { return }
        registry.update(name, labels: labels) { $0 += amount }
    }
}

/// A gauge family; label values are given in the order of the family's label names.
public struct Gauge: Sendable {
    let registry: MetricsRegistry
    /// The family's name, as rendered.
    public let name: String

    public func set(_ value: Double, labels: [String] = []) {
        registry.update(name, labels: labels) { $0 = value }
    }

    /// Sets 1 for true, 0 for false: the usual encoding of a state.
    public func set(_ value: Bool, labels: [String] = []) {
        set(value ? 1 : 0, labels: labels)
    }

    public func increment(by amount: Double = 1, labels: [String] = []) {
        registry.update(name, labels: labels) { $0 += amount }
    }

    public func decrement(by amount: Double = 1, labels: [String] = []) {
        registry.update(name, labels: labels) { $0 -= amount }
    }

    /// Replaces every series at once, for gauges read from a database at scrape time: a queue that was
    /// deleted disappears instead of keeping its last value.
    public func replaceAll(_ series: [[String]: Double]) {
        registry.replace(name, with: series)
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
