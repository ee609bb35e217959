/// A parsed document as plain nested data, keys in file order: what the file says, without positions.
///
/// Daemons read settings with a ``ConfigReader``; this view exists to hold the parser against other TOML parsers
/// (the test suite compares it with a reference parser on a corpus of documents) and for diagnostics.
public indirect enum ConfigTree: Sendable, Equatable {
    case value(ConfigValue)
    /// A table: its keys in the order they were written, and what each holds.
    case table(keys: [String], entries: [String: ConfigTree])
    /// The tables of `[[key]]`, in file order.
    case arrayOfTables([ConfigTree])
}

extension ConfigDocument {
    /// The whole document as a ``ConfigTree``.
    public var tree: ConfigTree {
        ConfigTree(root)
    }
}

extension ConfigTree {
    init(_ table: ConfigTable) {
        var entries: [String: ConfigTree] = [:]
        for key in table.keys {
            guard let entry = table.entries[key] else { continue }
            switch entry.node {
            case .value(let value): entries[key] = .value(value)
            case .table(let child): entries[key] = ConfigTree(child)
            case .tableArray(let tables): entries[key] = .arrayOfTables(tables.map(ConfigTree.init))
            }
        }
        self = .table(keys: table.keys, entries: entries)
    }
}
