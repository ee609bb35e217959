#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What Twilio answered to a `MessagesRequest`.
///
/// A success carries the new message's SID (the key that status callbacks will quote) and
/// its first status; any other answer becomes a `TwilioAPIError` for `TwilioErrorClassifier`.
public enum TwilioAPIResponse: Sendable, Equatable {
    /// The message was created.
    case created(sid: String, status: MessageStatus)
    /// Twilio refused the request, or something in front of it failed.
    case error(TwilioAPIError)

    /// Bodies larger than this are not parsed: Twilio's answers are a few kilobytes.
    public static let maximumBodyBytes = 256 * 1024

    /// Interprets an HTTP answer.
    ///
    /// A non-2xx answer never throws: if its body is not Twilio's error JSON (say, a proxy's
    /// HTML page) the error keeps the HTTP status and says so, which is all a retry decision
    /// needs. A 2xx answer whose body lacks a valid `sid` throws, because the message may
    /// have been sent and the caller must not pretend to know its id.
    public static func decode(httpStatus: Int, body: [UInt8]) throws(TwilioAPIResponseError) -> TwilioAPIResponse {
        guard body.count <= maximumBodyBytes else {
            throw .bodyTooLarge(size: body.count, limit: maximumBodyBytes)
        }
        if (200...299).contains(httpStatus) {
            let created: CreatedBody
            do {
                created = try JSONDecoder().decode(CreatedBody.self, from: Data(body))
            } catch {
                throw .malformedSuccess(httpStatus: httpStatus, reason: "body is not a Message resource: \(error)")
            }
            guard let sid = created.sid, TwilioSID.isValid(sid, prefixes: TwilioSID.messagePrefixes) else {
                throw .malformedSuccess(httpStatus: httpStatus, reason: "'sid' is missing or not a message SID")
            }
            return .created(sid: sid, status: MessageStatus(created.status ?? "queued"))
        }
        guard let parsed = try? JSONDecoder().decode(ErrorBody.self, from: Data(body)), parsed.code != nil || parsed.message != nil else {
            return .error(TwilioAPIError(httpStatus: httpStatus, code: nil, message: "HTTP \(httpStatus) without Twilio's error JSON", moreInfo: nil))
        }
        return .error(TwilioAPIError(
            httpStatus: parsed.status ?? httpStatus,
            code: parsed.code,
            message: parsed.message ?? "no message",
            moreInfo: parsed.moreInfo
        ))
    }

    private struct CreatedBody: Decodable {
        var sid: String?
        var status: String?
    }

    private struct ErrorBody: Decodable {
        var code: Int?
        var message: String?
        var moreInfo: String?
        var status: Int?

        enum CodingKeys: String, CodingKey {
            case code, message, status
            case moreInfo = "more_info"
        }
    }
}

/// Twilio's error answer: `{"code": 21211, "message": "…", "more_info": "…", "status": 400}`.
public struct TwilioAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (Twilio repeats it in the body as `status`).
    public let httpStatus: Int
    /// Twilio's error code, the key to its error dictionary; nil when the body had none.
    public let code: Int?
    /// Twilio's explanation.
    public let message: String
    /// A link to Twilio's page about the code.
    public let moreInfo: String?

    public init(httpStatus: Int, code: Int?, message: String, moreInfo: String?) {
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
        self.moreInfo = moreInfo
    }

    public var description: String {
        let codeText = code.map { ", error \($0)" } ?? ""
        return "Twilio answered HTTP \(httpStatus)\(codeText): \(message)"
    }
}

/// Why Twilio's answer could not be interpreted.
public enum TwilioAPIResponseError: Error, Equatable, Sendable, CustomStringConvertible {
    case bodyTooLarge(size: Int, limit: Int)
    case malformedSuccess(httpStatus: Int, reason: String)

    public var description: String {
        switch self {
        case let .bodyTooLarge(size, limit):
            return "Twilio response body of \(size) bytes exceeds the maximum \(limit)"
        case let .malformedSuccess(status, reason):
            return "Twilio answered HTTP \(status) but the body cannot be used: \(reason)"
        }
    }
}
