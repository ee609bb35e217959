/// Integer literals of the supported subset: optional sign, decimal digits, `_` between digits,
/// no leading zeros, 64 bits.
///
/// The forms TOML has but this subset leaves out (floats, hex/octal/binary, dates) are recognised
/// only to name them in the error, so a sysadmin learns what to write instead.
enum ConfigIntegerSyntax {
    struct Problem: Error, Equatable {
        var message: String
    }

    static func parse(_ token: String) -> Result<Int, Problem> {
        var digits = Substring(token)
        var isNegative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            isNegative = sign == "-"
            digits = digits.dropFirst()
        }
        let quoted = "\"\(token)\""
        guard !digits.isEmpty else {
            return .failure(Problem(message: "invalid value \(token): expected a number after the sign"))
        }
        if digits == "inf" || digits == "nan" {
            return .failure(Problem(message: "floating-point numbers are not supported (got \(token))"))
        }
        guard digits.first?.isASCIIDigit == true else {
            return .failure(Problem(
                message: "invalid value \(token): strings must be quoted, as in \(quoted), and booleans are true or false"
            ))
        }
        if digits.count > 1, digits.first == "0", let second = digits.dropFirst().first, "xob".contains(second) {
            return .failure(Problem(message: "hexadecimal, octal and binary integers are not supported (got \(token))"))
        }
        if digits.contains(where: { $0 == "-" || $0 == ":" }) {
            return .failure(Problem(message: "dates and times are not supported (got \(token)); quote it as a string"))
        }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
            digits.allSatisfy({ $0.isASCIIDigit || "._eE+".contains($0) })
        {
            return .failure(Problem(message: "floating-point numbers are not supported (got \(token))"))
        }
        guard digits.allSatisfy({ $0.isASCIIDigit || $0 == "_" }) else {
            return .failure(Problem(message: "invalid integer \(token)"))
        }
        if digits.last == "_" || digits.contains("__") {
            return .failure(Problem(message: "invalid integer \(token): '_' must sit between digits"))
        }
        let plain = digits.filter { $0 != "_" }
        if plain.count > 1 && plain.first == "0" {
            return .failure(Problem(
                message: "invalid integer \(token): leading zeros are not allowed (write a file mode as a string, like \"0660\")"
            ))
        }
        var value = 0
        for character in plain {
            guard let digit = character.wholeNumberValue else {
                return .failure(Problem(message: "invalid integer \(token)"))
            }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = isNegative
                ? shifted.subtractingReportingOverflow(digit)
                : shifted.addingReportingOverflow(digit)
            guard !overflowA && !overflowB else {
                return .failure(Problem(message: "integer \(token) does not fit in 64 bits"))
            }
            value = next
        }
        return .success(value)
    }
}

extension Character {
    var isASCIIDigit: Bool {
        ("0"..."9").contains(self)
    }
}
