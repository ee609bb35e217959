#if canImport(Glibc)
import Glibc
#endif
import AdminAPI
import CRefdeskCurl

/// Where the API is and who signs in: flags, then environment variables, then the config file.
struct Connection {
    var baseURL: String
    var user: String?
    var password: String?
    var caFile: String?
    var cookieFile: String

    /// An answer from the API.
    struct Response {
        var status: Int
        var body: [UInt8]
        var json: JSONValue? { try? JSONValue(parsing: body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Why a command failed; `code` is the process's exit status.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        var code: Int32
    }

    /// Sends a request (the body as a form) and returns the answer. A 401 with credentials at hand signs in and
    /// retries once, so scripts can run with REFDESK_USER and REFDESK_PASSWORD and no explicit login.
    func request(_ method: String, _ path: String, form: [(String, String)] = [], query: [(String, String)] = [], retry: Bool = true) throws -> Response {
        let response = try perform(method, path, form: form, query: query)
        if response.status == 401, retry, !path.hasSuffix("/auth/login"), let user, let password {
            _ = try login(user: user, password: password)
            return try request(method, path, form: form, query: query, retry: false)
        }
        return response
    }

    /// Signs in; the session cookie lands in the cookie file (mode 0600).
    func login(user: String, password: String) throws -> Response {
        let response = try perform("POST", "/2011-12-03/auth/login", form: [("username", user), ("password", password)], query: [])
        guard response.status == 200 else { throw Self.failure(response) }
        return response
    }

    /// Turns an error answer into a message and an exit status: 3 for authentication and roles, 4 for not found,
    /// 5 for conflicts (in use, already exists), 1 otherwise.
    static func failure(_ response: Response) -> Failure {
        let message = response.json?["message"]?.stringValue ?? "HTTP \(response.status): \(response.text.prefix(200))"
        let code: Int32 =
            switch response.status {
            case 401, 403, 429: 3
            case 404: 4
            case 409: 5
            default: 1
            }
        return Failure(description: message, code: code)
    }

    private func perform(_ method: String, _ path: String, form: [(String, String)], query: [(String, String)]) throws -> Response {
        // The cookie jar holds a session token; libcurl writes it at cleanup, so the mask outlives the handle.
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        guard let handle = curl_easy_init() else { throw Failure(description: "libcurl cannot start", code: 70) }
        defer { curl_easy_cleanup(handle) }
        var url = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        url += path
        if !query.isEmpty {
            url += "?" + query.map { "\(FormDecoding.percentEncode($0.0))=\(FormDecoding.percentEncode($0.1))" }.joined(separator: "&")
        }
        let body = form.map { "\(FormDecoding.percentEncode($0.0))=\(FormDecoding.percentEncode($0.1))" }.joined(separator: "&")
        var headers: UnsafeMutablePointer<curl_slist>?
        for header in ["Accept: application/json", "X-API-Version: 2011-12-03", "Expect:", "Content-Type: application/x-www-form-urlencoded"] {
            headers = curl_slist_append(headers, header)
        }
        defer { curl_slist_free_all(headers) }
        let sink = BodySink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }

        var status = refdesk_curl_setopt_string(handle, CURLOPT_URL, url)
        status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_TIMEOUT, 60) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers.map { UnsafeMutableRawPointer($0) }) : status
        if method != "GET" {
            status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.utf8.count) : status
            status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, body) : status
        }
        if let caFile {
            status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) : status
        }
        status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_COOKIEFILE, cookieFile) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_COOKIEJAR, cookieFile) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_USERAGENT, "refdeskctl") : status
        status = status == CURLE_OK ? refdesk_curl_setopt_write_function(handle, bodyWriter) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque()) : status
        guard status == CURLE_OK else { throw Failure(description: "cannot set up the request: \(Self.describe(status))", code: 70) }
        let result = curl_easy_perform(handle)
        guard result == CURLE_OK else {
            throw Failure(description: "cannot reach \(baseURL): \(Self.describe(result))", code: 69)
        }
        var code = 0
        _ = refdesk_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return Response(status: code, body: sink.bytes)
    }

    private static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "libcurl error \(code.rawValue)" }
        return String(cString: text)
    }
}

/// Collects the answer's body; reached from libcurl's C callback through `Unmanaged`.
private final class BodySink {
    var bytes: [UInt8] = []
}

private let bodyWriter: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user else { return 0 }
    let sink = Unmanaged<BodySink>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    guard let data, length > 0 else { return length }
    guard sink.bytes.count + length <= 64 << 20 else { return 0 }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
    return length
}

/// Output as a table (the default) or as the API's JSON.
enum Output {
    static func show(_ value: JSONValue, json: Bool) {
        if json {
            print(value.serialized)
            return
        }
        switch value {
        case .array(let items):
            guard case .object(let first)? = items.first else {
                for item in items { print(cell(item)) }
                return
            }
            let columns = first.map(\.0)
            let rows = items.map { item in columns.map { cell(item[$0] ?? .null) } }
            table(header: columns, rows: rows)
        case .object(let members):
            let width = members.map(\.0.count).max() ?? 0
            for (key, member) in members { print(key.padding(to: width) + "  " + cell(member)) }
        default:
            print(cell(value))
        }
    }

    static func table(header: [String], rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows { for (index, text) in row.enumerated() { widths[index] = max(widths[index], text.count) } }
        print(zip(header, widths).map { $0.0.uppercased().padding(to: $0.1) }.joined(separator: "  "))
        for row in rows { print(zip(row, widths).map { $0.0.padding(to: $0.1) }.joined(separator: "  ")) }
    }

    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: "-"
        case .string(let text): text.replacingNewlines()
        case .bool(let flag): flag ? "yes" : "no"
        case .integer(let number): String(number)
        case .number(let number): "\(number)"
        case .array(let items): items.map(cell).joined(separator: ",")
        case .object: value.serialized
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
