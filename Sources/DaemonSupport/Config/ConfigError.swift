/// A problem with a configuration file, located as precisely as it can be.
///
/// Sysadmins read these on a terminal or in the journal when a daemon refuses to start, so the
/// description follows the compiler convention `file:line:column: what was wrong`, which editors
/// and `grep` understand. Parse errors know the column; errors about a value's meaning (found while
/// reading the parsed document) know only the line of the key, and errors about the file as a whole
/// (missing, too large) know neither.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file name or other label the text came from, as given to the parser.
    public var source: String
    /// The 1-based line, when the problem has one.
    public var line: Int?
    /// The 1-based column in Unicode scalars, when the problem has one (only with a line).
    public var column: Int?
    /// What was wrong, without the location.
    public var message: String

    /// A column without a line is dropped: a column alone locates nothing.
    public init(source: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.column = line == nil ? nil : column
        self.message = message
    }

    /// `source:line:column: message`, leaving out the parts that are unknown.
    public var description: String {
        var location = source
        if let line {
            location += ":\(line)"
            if let column {
                location += ":\(column)"
            }
        }
        return "\(location): \(message)"
    }
}
