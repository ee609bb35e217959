import Foundation
import RefdeskMetrics
import Testing

/// docs/operations.md's metrics table is what operators build dashboards and alerts from: every family refdesk
/// emits is in it, with the type and labels it really has.
@Suite("The metrics table in docs/operations.md")
struct MetricFamilyDocumentationTests {
    struct Row: Equatable, CustomStringConvertible {
        var name: String
        var kind: String
        var labels: [String]
        var description: String { "\(name) \(kind) \(labels)" }
    }

    /// The rows of the table whose header is `| metric | type | labels | where |`.
    static func documentedRows() throws -> [Row] {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/operations.md")
        let lines = try String(contentsOf: docs, encoding: .utf8).components(separatedBy: "\n")
        let header = try #require(lines.firstIndex(of: "| metric | type | labels | where |"))
        return lines[(header + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let unquoted = { (text: String) in text.replacingOccurrences(of: "`", with: "") }
            let labels = cells[3].isEmpty ? [] : cells[3].components(separatedBy: ",").map { unquoted($0).trimmingCharacters(in: .whitespaces) }
            return Row(name: unquoted(cells[1]), kind: cells[2], labels: labels)
        }
    }

    @Test("every family is documented with its type and labels, and nothing else is")
    func tableMatchesTheFamilies() throws {
        let documented = try Self.documentedRows()
        let emitted = MetricFamily.all.map { Row(name: $0.name, kind: $0.kind.rawValue, labels: $0.labels) }
        #expect(documented.sorted { $0.name < $1.name } == emitted.sorted { $0.name < $1.name })
    }

    @Test("names follow the Prometheus conventions: refdesk_ prefix, counters end in _total, gauges do not")
    func namingConventions() {
        for family in MetricFamily.all {
            #expect(family.name.hasPrefix("refdesk_"), "\(family)")
            #expect(family.name.hasSuffix("_total") == (family.kind == .counter), "\(family)")
            #expect(family.name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(family)")
        }
    }
}
