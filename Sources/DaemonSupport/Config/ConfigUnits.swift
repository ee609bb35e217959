/// Parsers for the unit-bearing strings of configuration files. Pure, so they are easy to test.
public enum ConfigUnits {
    /// Parses `"250ms"`, `"5s"`, `"2m"` or `"1h"`: decimal digits, then one unit. Nil for anything else,
    /// including signs, spaces, fractions and values too large for a `Duration` of milliseconds.
    public static func duration(_ text: String) -> Duration? {
        let digits = text.prefix(while: { $0.isASCIIDigit })
        let unit = text[digits.endIndex...]
        guard !digits.isEmpty, digits.count <= 12, let amount = Int64(digits) else {
            return nil
        }
        let millisecondsPerUnit: Int64
        switch unit {
        case "ms": millisecondsPerUnit = 1
        case "s": millisecondsPerUnit = 1000
        case "m": millisecondsPerUnit = 60_000
        case "h": millisecondsPerUnit = 3_600_000
        default: return nil
        }
        let (milliseconds, overflow) = amount.multipliedReportingOverflow(by: millisecondsPerUnit)
        guard !overflow else { return nil }
        return .milliseconds(milliseconds)
    }

    /// Parses an octal file mode of 3 or 4 digits, such as `"0660"`, `"660"` or `"2770"`.
    public static func fileMode(_ text: String) -> UInt32? {
        guard (3...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }) else {
            return nil
        }
        return UInt32(text, radix: 8)
    }
}
