/// Day arithmetic in the proleptic Gregorian calendar, the calendar POSIX TZ rules are written in.
///
/// Days are counted from 1970-01-01 (day 0), negative before it. Every function is total for the
/// years a ``POSIXTimeZoneRule`` evaluates (it folds instants into one 400-year cycle first), so
/// none of this arithmetic can overflow.
enum ProlepticGregorian {
    static let secondsPerDay: Int64 = 86_400

    /// Days in 400 Gregorian years. The calendar, weekdays included, repeats after it:
    /// 146,097 is a multiple of 7.
    static let daysPerCycle: Int64 = 146_097

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInYear(_ year: Int64) -> Int64 {
        isLeapYear(year) ? 366 : 365
    }

    /// Days in `month` (1...12) of `year`.
    static func daysInMonth(_ month: Int64, of year: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day number of January 1 of `year`.
    static func firstDay(ofYear year: Int64) -> Int64 {
        // Whole years since 1970, plus one day for each leap year between them: leap years
        // before `year` counted from year 1 (floor division), minus those before 1970.
        let before = year - 1
        let leapDays = floorDivide(before, 4) - floorDivide(before, 100) + floorDivide(before, 400)
        let leapDaysBefore1970: Int64 = 477
        return (year - 1970) * 365 + leapDays - leapDaysBefore1970
    }

    /// The day number of `day` (1-based) of `month` (1...12) in `year`.
    static func dayNumber(year: Int64, month: Int64, day: Int64) -> Int64 {
        var days = firstDay(ofYear: year) + day - 1
        var earlier: Int64 = 1
        while earlier < month {
            days += daysInMonth(earlier, of: year)
            earlier += 1
        }
        return days
    }

    /// The weekday of a day number, 0 for Sunday through 6 for Saturday (1970-01-01 was a Thursday).
    static func weekday(ofDay day: Int64) -> Int64 {
        floorModulo(day + 4, 7)
    }

    /// The year a day number falls in.
    static func year(ofDay day: Int64) -> Int64 {
        // An estimate that is at most one year off, then corrected.
        var year = 1970 + floorDivide(day * 400, daysPerCycle)
        while firstDay(ofYear: year) > day { year -= 1 }
        while firstDay(ofYear: year + 1) <= day { year += 1 }
        return year
    }

    static func floorDivide(_ dividend: Int64, _ divisor: Int64) -> Int64 {
        let quotient = dividend / divisor
        return (dividend % divisor != 0 && (dividend < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder with the divisor's sign; unlike `dividend - floorDivide(...) * divisor` it
    /// cannot overflow, even for `Int64.min`.
    static func floorModulo(_ dividend: Int64, _ divisor: Int64) -> Int64 {
        let remainder = dividend % divisor
        return remainder != 0 && (remainder < 0) != (divisor < 0) ? remainder + divisor : remainder
    }
}
