/// A value written on the right of `key = value` in a configuration file.
///
/// The supported TOML subset has no floats, dates or inline tables: daemon settings never need them,
/// and refusing them keeps the parser small enough to audit. Arrays hold strings or integers only.
public enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case array([ConfigValue])
}

extension ConfigValue {
    /// The value as a sysadmin would write it, shortened, for "expected …, got …" messages.
    var quotedForMessage: String {
        let text = tomlText
        let limit = 40
        if text.unicodeScalars.count <= limit {
            return text
        }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit))) + "…"
    }

    private var tomlText: String {
        switch self {
        case .string(let string):
            return ConfigValue.quoted(string)
        case .integer(let integer):
            return String(integer)
        case .boolean(let boolean):
            return boolean ? "true" : "false"
        case .array(let elements):
            return "[" + elements.map(\.tomlText).joined(separator: ", ") + "]"
        }
    }

    /// A basic TOML string literal for `text`, escaping what the parser would reject raw.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u" + hex4(scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// A table of a parsed document: `[section]`, the root, or one `[[entry]]`.
///
/// Keys remember where they were written so that later errors (a wrong type, an unknown key)
/// can point at the line.
struct ConfigTable: Sendable, Equatable {
    var entries: [String: ConfigEntry] = [:]
    /// Keys in the order they were written, so reports come out in file order.
    var keys: [String] = []
    /// Whether a `[header]` named this table; tables only implied by `[a.b]` may still get a header once.
    var isExplicit: Bool
    /// The line of the header that created it (1 for the root).
    var line: Int

    init(isExplicit: Bool, line: Int) {
        self.isExplicit = isExplicit
        self.line = line
    }

    mutating func insert(_ key: String, _ entry: ConfigEntry) {
        if entries.updateValue(entry, forKey: key) == nil {
            keys.append(key)
        }
    }
}

/// One key of a table with its position in the file.
struct ConfigEntry: Sendable, Equatable {
    var node: ConfigNode
    var line: Int
    var column: Int
}

/// What a key holds: a plain value, a sub-table, or the entries of `[[key]]`.
enum ConfigNode: Sendable, Equatable {
    case value(ConfigValue)
    case table(ConfigTable)
    case tableArray([ConfigTable])

    /// Stands in for a node while it is being modified, so the modified copy is uniquely referenced.
    static let placeholder = ConfigNode.value(.boolean(false))

    /// How a node is named in messages: "a string", "a table", …
    var kindDescription: String {
        switch self {
        case .value(.string): return "a string"
        case .value(.integer): return "an integer"
        case .value(.boolean): return "a boolean"
        case .value(.array): return "an array"
        case .table: return "a table"
        case .tableArray: return "an array of tables"
        }
    }
}

extension ConfigTable {
    /// Runs `body` on the table reached by `path`, stepping into sub-tables and into the last entry
    /// of arrays of tables (where following keys of a `[[header]]` go). Returns nil if the path does
    /// not lead to a table.
    ///
    /// Each visited node is moved out of its parent while `body` runs, so mutation does not copy
    /// whole tables: parsing stays linear in the size of the file.
    mutating func withTable<Result>(
        at path: ArraySlice<String>,
        _ body: (inout ConfigTable) throws(ConfigError) -> Result
    ) throws(ConfigError) -> Result? {
        guard let key = path.first else {
            return try body(&self)
        }
        guard var entry = entries.removeValue(forKey: key) else {
            return nil
        }
        defer { entries[key] = entry }
        switch entry.node {
        case .table(var table):
            entry.node = .placeholder
            defer { entry.node = .table(table) }
            return try table.withTable(at: path.dropFirst(), body)
        case .tableArray(var tables):
            entry.node = .placeholder
            defer { entry.node = .tableArray(tables) }
            guard !tables.isEmpty else { return nil }
            return try tables[tables.count - 1].withTable(at: path.dropFirst(), body)
        case .value:
            return nil
        }
    }
}
