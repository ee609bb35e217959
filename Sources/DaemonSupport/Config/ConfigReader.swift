/// Typed reads from a ``ConfigDocument`` that remember which keys were asked for.
///
/// A daemon reads every setting it knows (with its default) and then calls ``rejectUnknownKeys()``:
/// a misspelt key in the file is then an error naming the nearest known key, instead of a setting
/// silently left at its default.
///
/// Keys are dotted paths from this reader's table: `"router.socket"` is `socket` under `[router]`.
/// The entries of `[[name]]` are read through ``tables(_:)``, which returns one reader per entry;
/// each of those checks its own keys, so call ``rejectUnknownKeys()`` on them too.
public struct ConfigReader: Sendable {
    private let table: ConfigTable
    private let source: String
    /// How this reader's keys are named in messages, e.g. `canned[2].` for the second `[[canned]]`.
    private let displayPrefix: String
    private var requested: Set<String> = []
    private var requestedInOrder: [String] = []

    /// A reader of the whole document, with nothing read yet.
    public init(_ document: ConfigDocument) {
        self.init(table: document.root, source: document.source, displayPrefix: "")
    }

    private init(table: ConfigTable, source: String, displayPrefix: String) {
        self.table = table
        self.source = source
        self.displayPrefix = displayPrefix
    }

    // MARK: - Typed reads

    /// The string at `key`, or nil if the file does not set it.
    public mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let (value, line) = try value(key) else { return nil }
        guard case .string(let string) = value else {
            throw mismatch(key, line: line, expected: "a string", got: value)
        }
        return string
    }

    /// The string at `key`, or `defaultValue` when the file does not set it.
    public mutating func string(_ key: String, default defaultValue: String) throws(ConfigError) -> String {
        try string(key) ?? defaultValue
    }

    /// An integer that must lie in `range`, so limits are checked where the file is read.
    public mutating func int(_ key: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(ConfigError) -> Int {
        guard let (value, line) = try value(key) else { return defaultValue }
        guard case .integer(let integer) = value else {
            throw mismatch(key, line: line, expected: "an integer", got: value)
        }
        guard range.contains(integer) else {
            throw failure(key, line: line, "\(integer) is outside the allowed range \(range.lowerBound)...\(range.upperBound)")
        }
        return integer
    }

    /// `true` or `false` only: strings such as `"yes"` are refused rather than guessed at.
    public mutating func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let (value, line) = try value(key) else { return defaultValue }
        guard case .boolean(let boolean) = value else {
            throw mismatch(key, line: line, expected: "true or false", got: value)
        }
        return boolean
    }

    /// An array of strings; an empty array in the file gives an empty result, not the default.
    public mutating func strings(_ key: String, default defaultValue: [String]) throws(ConfigError) -> [String] {
        guard let (value, line) = try value(key) else { return defaultValue }
        guard case .array(let elements) = value else {
            throw mismatch(key, line: line, expected: "an array of strings", got: value)
        }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element else {
                throw mismatch(key, line: line, expected: "an array of strings", got: value)
            }
            strings.append(string)
        }
        return strings
    }

    /// A duration written as a string with one unit: `"250ms"`, `"5s"`, `"2m"`, `"1h"`.
    /// Strings keep the unit visible in the file, where a bare number would leave it to guesswork.
    public mutating func duration(_ key: String, default defaultValue: Duration) throws(ConfigError) -> Duration {
        guard let (value, line) = try value(key) else { return defaultValue }
        guard case .string(let text) = value, let duration = ConfigUnits.duration(text) else {
            throw mismatch(key, line: line, expected: "a duration like \"250ms\", \"5s\", \"2m\" or \"1h\"", got: value)
        }
        return duration
    }

    /// A Unix file mode written as an octal string such as `"0660"`. A bare integer is refused:
    /// TOML reads `660` as decimal, which would silently give a nonsense mode.
    public mutating func fileMode(_ key: String, default defaultValue: UInt32) throws(ConfigError) -> UInt32 {
        guard let (value, line) = try value(key) else { return defaultValue }
        guard case .string(let text) = value, let mode = ConfigUnits.fileMode(text) else {
            throw mismatch(key, line: line, expected: "an octal mode like \"0660\"", got: value)
        }
        return mode
    }

    /// One reader per `[[key]]` entry, in file order; empty if there are none.
    public mutating func tables(_ key: String) throws(ConfigError) -> [ConfigReader] {
        guard let entry = try entry(key) else { return [] }
        guard case .tableArray(let tables) = entry.node else {
            throw failure(key, line: entry.line, "expected [[\(displayPrefix)\(key)]] entries, got \(entry.node.kindDescription)")
        }
        return tables.enumerated().map { position, table in
            ConfigReader(table: table, source: source, displayPrefix: "\(displayPrefix)\(key)[\(position + 1)].")
        }
    }

    // MARK: - Errors about values

    /// An error about the setting at `key` (a value, a section or `[[entries]]`) that a daemon found wrong after
    /// reading it, such as an unknown time zone or a secret file that cannot be read: `file:line: key "…": message`.
    /// The line is the key's; for a key the file leaves out, the line of the section that should hold it.
    public func invalid(_ key: String, _ message: String) -> ConfigError {
        ConfigError(source: source, line: line(of: key), message: "key \"\(displayPrefix)\(key)\": \(message)")
    }

    /// `error` (from reading a file the setting names, say) placed at `key`'s line when it has no line of its own.
    public func locate(_ error: ConfigError, at key: String) -> ConfigError {
        guard error.line == nil else { return error }
        return ConfigError(source: error.source, line: line(of: key), message: error.message)
    }

    /// The line where `key` is written, else the header line of the deepest table on its path that the file has
    /// (this reader's own table for an `[[entry]]`); nil when not even that exists.
    public func line(of key: String) -> Int? {
        var current = table
        var found: Int? = displayPrefix.isEmpty ? nil : table.line
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            guard let entry = current.entries[String(part)] else { return found }
            found = entry.line
            guard case .table(let child) = entry.node else { return found }
            current = child
        }
        return found
    }

    // MARK: - Unknown keys

    /// Throws for the first key (in file order) that is in the file but that no read asked for,
    /// suggesting the nearest key that was asked for.
    ///
    /// A table counts as read when any key under it was asked for; an empty `[section]` nobody
    /// asked about is reported like a key.
    public func rejectUnknownKeys() throws(ConfigError) {
        var unknown: [(path: String, line: Int, column: Int)] = []
        collectUnknown(in: table, under: "", into: &unknown)
        guard let first = unknown.min(by: { ($0.line, $0.column) < ($1.line, $1.column) }) else {
            return
        }
        var message = "unknown key \"\(displayPrefix)\(first.path)\""
        if let suggestion = KeySuggestion.nearest(to: first.path, among: requestedInOrder) {
            message += " (did you mean \"\(displayPrefix)\(suggestion)\"?)"
        }
        throw ConfigError(source: source, line: first.line, message: message)
    }

    private func collectUnknown(in table: ConfigTable, under prefix: String, into unknown: inout [(path: String, line: Int, column: Int)]) {
        for key in table.keys {
            guard let entry = table.entries[key] else { continue }
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            if requested.contains(path) {
                continue
            }
            if case .table(let child) = entry.node {
                if !child.keys.isEmpty {
                    collectUnknown(in: child, under: path, into: &unknown)
                    continue
                }
                if requested.contains(where: { $0.hasPrefix(path + ".") }) {
                    continue
                }
            }
            unknown.append((path, entry.line, entry.column))
        }
    }

    // MARK: - Lookup

    private mutating func value(_ key: String) throws(ConfigError) -> (ConfigValue, line: Int)? {
        guard let entry = try entry(key) else { return nil }
        guard case .value(let value) = entry.node else {
            throw failure(key, line: entry.line, "expected a value, got \(entry.node.kindDescription)")
        }
        return (value, entry.line)
    }

    private mutating func entry(_ key: String) throws(ConfigError) -> ConfigEntry? {
        if requested.insert(key).inserted {
            requestedInOrder.append(key)
        }
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var current = table
        for (position, part) in parts.enumerated() {
            guard let entry = current.entries[part] else { return nil }
            if position == parts.count - 1 {
                return entry
            }
            guard case .table(let child) = entry.node else {
                let walked = parts[...position].joined(separator: ".")
                throw failure(key, line: entry.line, "\"\(displayPrefix)\(walked)\" is \(entry.node.kindDescription), not a table")
            }
            current = child
        }
        return nil
    }

    private func mismatch(_ key: String, line: Int, expected: String, got value: ConfigValue) -> ConfigError {
        failure(key, line: line, "expected \(expected), got \(value.quotedForMessage)")
    }

    private func failure(_ key: String, line: Int, _ message: String) -> ConfigError {
        ConfigError(source: source, line: line, message: "key \"\(displayPrefix)\(key)\": \(message)")
    }
}
