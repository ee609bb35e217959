import Logging

/// Hides most of a patron's phone number in logs: `+15551234567` becomes `+1555…4567`.
///
/// The kept digits (country and area code, last four) are enough to tell conversations apart and to
/// match a patron's complaint, without the journal holding full numbers. With debug logging on, the
/// operator is troubleshooting and sees full numbers.
public enum PhoneNumberMask {
    /// The masked form:
    /// - 10 or more characters: the first 4 digits (after a leading `+`, which is kept) and the last 4;
    /// - 5 to 9 characters: only the last 2;
    /// - shorter: nothing but `…`.
    public static func masked(_ number: String) -> String {
        let characters = Array(number)
        let ellipsis = "…"
        switch characters.count {
        case 10...:
            let head = characters.first == "+" ? 5 : 4
            return String(characters.prefix(head)) + ellipsis + String(characters.suffix(4))
        case 5...9:
            return ellipsis + String(characters.suffix(2))
        default:
            return ellipsis
        }
    }

    /// `number` in full when `level` is `.debug` or `.trace`, masked otherwise.
    public static func forLog(_ number: String, level: Logger.Level) -> String {
        level <= .debug ? number : masked(number)
    }
}

extension Logger {
    /// A patron's phone number as log metadata, masked unless this logger logs at debug level or below.
    ///
    /// ```swift
    /// logger.info("SMS received", metadata: ["from": logger.patronPhone(message.from)])
    /// ```
    public func patronPhone(_ number: String) -> Logger.MetadataValue {
        .string(PhoneNumberMask.forLog(number, level: logLevel))
    }
}
