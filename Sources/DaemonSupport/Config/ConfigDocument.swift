/// A parsed configuration file in refdesk's documented TOML subset.
///
/// refdesk parses its own files instead of depending on a TOML library so that every error a
/// sysadmin can make has a precise, located message, and so that hostile or corrupt input is bounded
/// (at most ``maximumInputBytes``, table headers at most ``maximumTableDepth`` deep).
///
/// The subset:
/// - `# comments`, to the end of a line;
/// - `[section]`, `[section.sub]` and `[[entries]]` headers (each table gets at most one header);
/// - `key = value` with bare keys of `A-Z a-z 0-9 _ -`;
/// - values: basic strings `"…"` with the escapes `\"` `\\` `\n` `\t` `\uXXXX`, literal strings
///   `'…'` (no escapes), decimal integers with an optional sign and `_` between digits, `true` and
///   `false`, and arrays of strings or of integers, which may span lines and end with a comma.
///
/// Not supported, each refused with an error that names it ("… are not supported"): floats, dates and
/// times, hexadecimal/octal/binary integers, inline tables, multi-line strings, quoted and dotted keys,
/// the escapes `\b` `\f` `\r` `\e` `\xHH` `\UXXXXXXXX`, and nested, boolean or mixed arrays. The text must
/// be UTF-8 without control characters other than tab (CRLF line ends are fine). The test suite holds
/// this against a reference TOML parser on the toml-test corpus (`Tests/integration/test_config_corpus.py`).
///
/// Read values with a ``ConfigReader``.
public struct ConfigDocument: Sendable {
    /// Larger inputs are refused before parsing: a daemon's configuration is a few kilobytes.
    public static let maximumInputBytes = ConfigParser.maximumInputBytes
    /// The most keys a table header may have (`[a.b.c]` has 3).
    public static let maximumTableDepth = ConfigParser.maximumTableDepth

    /// The file name used in error messages.
    public let source: String
    let root: ConfigTable

    /// Parses `text`; `source` names it in errors (usually the file path).
    public init(parsing text: String, source: String) throws(ConfigError) {
        try self.init(parsing: Array(text.utf8), source: source)
    }

    /// Parses raw bytes, which must be UTF-8; invalid sequences are reported with their position.
    public init(parsing bytes: [UInt8], source: String) throws(ConfigError) {
        self.source = source
        self.root = try ConfigParser.parse(bytes, source: source)
    }

    /// Reads and parses the file at `path`, which also names it in errors.
    ///
    /// Daemons call this once at start-up (or on reload), before they serve anything, so the blocking
    /// read is acceptable.
    public static func load(path: String) throws(ConfigError) -> ConfigDocument {
        let bytes = try ConfigFile.read(path: path, limit: maximumInputBytes)
        return try ConfigDocument(parsing: bytes, source: path)
    }

    /// The plain value at a dotted `path` such as `"router.socket"`, or nil if there is none
    /// (also when the path leads to a table or through `[[entries]]`). Meant for tests and
    /// diagnostics; daemons read with ``ConfigReader``, which also reports type errors.
    public func value(at path: String) -> ConfigValue? {
        var table = root
        let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (position, key) in keys.enumerated() {
            switch table.entries[key]?.node {
            case .value(let value) where position == keys.count - 1:
                return value
            case .table(let child) where position < keys.count - 1:
                table = child
            default:
                return nil
            }
        }
        return nil
    }
}
