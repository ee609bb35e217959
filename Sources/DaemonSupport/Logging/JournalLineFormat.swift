import Logging

/// The pure formatting behind ``JournalLogHandler``: one event to one line of text (without the
/// newline), so the format can be tested without touching a file descriptor.
public enum JournalLineFormat {
    /// The syslog priority journald reads from the `<P>` prefix. swift-log has no `alert` or `emergency`,
    /// and `trace` shares `debug`'s 7 because syslog has nothing lower.
    public static func syslogPriority(of level: Logger.Level) -> Int {
        switch level {
        case .critical: return 2
        case .error: return 3
        case .warning: return 4
        case .notice: return 5
        case .info: return 6
        case .debug, .trace: return 7
        }
    }

    /// `<P>message logger=label key=value …` with metadata sorted by key.
    public static func line(level: Logger.Level, message: String, label: String, metadata: Logger.Metadata) -> String {
        var line = "<\(syslogPriority(of: level))>"
        line += escapedMessage(message)
        line += " logger=" + field(label)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " " + sanitizedKey(key) + "=" + field(value.description)
        }
        return line
    }

    /// The message with line breaks and other control characters escaped (`\n`, `\r`, `\t`, `\u{…}`),
    /// so one event can never become two journal entries.
    public static func escapedMessage(_ message: String) -> String {
        var result = ""
        for scalar in message.unicodeScalars {
            appendEscapingControl(scalar, to: &result)
        }
        return result
    }

    /// A value as written after `key=`: bare when that is unambiguous, otherwise in double quotes
    /// with `"` and `\` escaped. Empty values are written as `""` so the field stays visible.
    public static func field(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || isControlOrLineBreak(scalar)
        }
        guard needsQuotes else { return value }
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default: appendEscapingControl(scalar, to: &result)
            }
        }
        return result + "\""
    }

    /// Keys are code-chosen, but a key with a space or `=` would break parsing of the line:
    /// such characters become `_`.
    static func sanitizedKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        var result = ""
        for scalar in key.unicodeScalars {
            if scalar == " " || scalar == "=" || scalar == "\"" || isControlOrLineBreak(scalar) {
                result += "_"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func appendEscapingControl(_ scalar: Unicode.Scalar, to result: inout String) {
        switch scalar {
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if isControlOrLineBreak(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    private static func isControlOrLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
