/// Whether a failed send should be tried again, and what to tell the librarian.
public enum SendDisposition: Sendable, Equatable {
    /// A passing condition (throttling, network, Twilio's own trouble): keep the message
    /// in the outbox and try again later.
    case retry(reason: String)
    /// Trying again cannot help; report `reason` to the librarian who wrote the message.
    case permanent(reason: String)

    public var isRetryable: Bool {
        if case .retry = self { return true }
        return false
    }

    public var reason: String {
        switch self {
        case let .retry(reason), let .permanent(reason): reason
        }
    }
}

/// Sorts Twilio's failures into retry-later and give-up.
///
/// Retrying a permanent failure wastes money and can get a number flagged for spam;
/// giving up on a transient one loses a librarian's answer. The reasons are written for
/// the librarian, who sees them next to the message that did not go out.
public enum TwilioErrorClassifier {
    /// A failure reported by the REST API.
    public static func classify(_ error: TwilioAPIError) -> SendDisposition {
        if let code = error.code, let known = knownCodes[code] {
            return known.disposition(code: code)
        }
        if error.httpStatus == 429 {
            return .retry(reason: "Twilio asked us to slow down (HTTP 429); the message will be sent again shortly.")
        }
        if (500...599).contains(error.httpStatus) {
            return .retry(reason: "Twilio had a server problem (HTTP \(error.httpStatus)); the message will be sent again shortly.")
        }
        let codeText = error.code.map { " (Twilio error \($0))" } ?? ""
        return .permanent(reason: "Twilio refused the message\(codeText): \(error.message)")
    }

    /// A failure reported later by a status callback (`failed` / `undelivered` + `ErrorCode`).
    public static func classify(errorCode: Int, message: String? = nil) -> SendDisposition {
        if let known = knownCodes[errorCode] {
            return known.disposition(code: errorCode)
        }
        let detail = message.map { ": \($0)" } ?? "."
        return .permanent(reason: "The message could not be delivered (Twilio error \(errorCode))\(detail)")
    }

    /// Codes that say the gateway itself cannot send (its credentials, account or number), not this one message.
    static let gatewayCodes: Set<Int> = [20003, 20404, 21606, 30002, 30034]

    /// Why the gateway cannot send at all, when a failure says so: the bridge then reports the gateway `failed`
    /// with this reason, so admins see it in the API, `refdeskctl` and `/metrics` rather than only in the log.
    public static func gatewayProblem(_ error: TwilioAPIError) -> String? {
        if let code = error.code, gatewayCodes.contains(code), let known = knownCodes[code] {
            return known.disposition(code: code).reason
        }
        if error.httpStatus == 401 {
            return "Twilio rejected the gateway's credentials (HTTP 401); an administrator must check the account SID and auth token"
        }
        return nil
    }

    /// The request never got an HTTP answer (DNS, connect, TLS, timeout).
    public static func networkFailure(_ detail: String) -> SendDisposition {
        .retry(reason: "Twilio could not be reached (\(detail)); the message will be sent again shortly.")
    }

    private struct Known {
        let retry: Bool
        let text: String

        func disposition(code: Int) -> SendDisposition {
            let reason = "\(text) (Twilio error \(code))"
            return retry ? .retry(reason: reason) : .permanent(reason: reason)
        }
    }

    private static func retry(_ text: String) -> Known { Known(retry: true, text: text) }
    private static func permanent(_ text: String) -> Known { Known(retry: false, text: text) }

    private static let knownCodes: [Int: Known] = [
        // Throttling and transient trouble.
        20429: retry("Twilio is limiting the request rate; the message will be sent again shortly"),
        14107: retry("The SMS send rate limit was reached; the message will be sent again shortly"),
        30001: retry("Twilio's queue for the library's number overflowed; the message will be sent again"),
        21611: retry("The library's number has too many messages waiting; the message will be sent again"),
        30022: retry("The carrier's rate limit for the library's number was exceeded; the message will be sent again"),
        20500: retry("Twilio had an internal error; the message will be sent again shortly"),
        20503: retry("Twilio was temporarily unavailable; the message will be sent again shortly"),
        30008: retry("The carrier reported an unknown error; the message will be sent again"),
        // The patron's number.
        21610: permanent("The patron has opted out by replying STOP; they must text START before they can receive messages"),
        21211: permanent("The patron's number is not a valid phone number"),
        21614: permanent("The patron's number is not a mobile number that can receive texts"),
        21408: permanent("Texting this patron's country is not enabled for the library's Twilio account"),
        21612: permanent("Twilio cannot send texts between the library's number and the patron's number"),
        30003: permanent("The patron's phone is unreachable (switched off or out of coverage)"),
        30004: permanent("The message was blocked; the patron may have blocked the library's number"),
        30005: permanent("The patron's number is unknown to the carrier or no longer in service"),
        30006: permanent("The patron's number is a landline or its carrier cannot receive texts"),
        30007: permanent("The carrier filtered the message as unwanted"),
        // The library's account or number.
        20003: permanent("Twilio rejected the gateway's credentials; an administrator must check the account SID and auth token"),
        20404: permanent("Twilio does not know the gateway's account; an administrator must check the account SID"),
        21606: permanent("The library's number cannot send texts; an administrator must check the gateway's number"),
        30002: permanent("The library's Twilio account is suspended"),
        30034: permanent("The library's number is not registered for A2P 10DLC messaging"),
        // The message itself.
        21602: permanent("The message had no text"),
        21617: permanent("The message is longer than Twilio's 1,600-character limit"),
    ]
}
