import CRefdeskCurl
import NIOPosix

/// What came back from one HTTP request.
enum HTTPOutcome: Sendable, Equatable {
    /// An HTTP answer, whatever its status.
    case response(status: Int, body: [UInt8])
    /// No HTTP answer: DNS, connect, TLS, timeout; the text is libcurl's.
    case networkError(String)
}

/// The one request the bridge makes: a form POST with an `Authorization` header.
protocol FormPoster: Sendable {
    func post(url: String, authorization: String, formBody: String) async -> HTTPOutcome
}

/// Form POSTs with libcurl's easy interface on threads of their own.
///
/// `curl_easy_perform` blocks until the answer is in, so each request runs on a thread of a small `NIOThreadPool`,
/// never on an event loop or the cooperative pool. Requests to Twilio are few (paced to about one per second per
/// number), so a handful of threads is plenty.
final class CurlClient: FormPoster {
    private let pool: NIOThreadPool
    private let timeoutMilliseconds: Int
    static let maximumResponseBytes = 256 * 1024

    /// Initialises libcurl for the process; call once, before any other thread uses it.
    static func globalInit() {
        _ = curl_global_init(Int(CURL_GLOBAL_ALL))
    }

    init(threads: Int = 4, timeout: Duration = .seconds(30)) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        let (seconds, attoseconds) = timeout.components
        timeoutMilliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    func post(url: String, authorization: String, formBody: String) async -> HTTPOutcome {
        let timeout = timeoutMilliseconds
        do {
            return try await pool.runIfActive {
                Self.perform(url: url, authorization: authorization, formBody: formBody, timeoutMilliseconds: timeout)
            }
        } catch {
            return .networkError("the HTTP client is shutting down")
        }
    }

    /// Runs one request to its end on the calling thread.
    private static func perform(url: String, authorization: String, formBody: String, timeoutMilliseconds: Int) -> HTTPOutcome {
        guard let handle = curl_easy_init() else { return .networkError("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>?
        for header in ["Authorization: \(authorization)", "Content-Type: application/x-www-form-urlencoded", "Accept: application/json", "Expect:"] {
            headers = curl_slist_append(headers, header)
        }
        defer { curl_slist_free_all(headers) }
        let sink = ResponseSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }

        var status = refdesk_curl_setopt_string(handle, CURLOPT_URL, url)
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(10_000, timeoutMilliseconds)) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers.map { UnsafeMutableRawPointer($0) }) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, formBody.utf8.count) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, formBody) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_string(handle, CURLOPT_USERAGENT, "refdesk-twilio") : status
        status = status == CURLE_OK ? refdesk_curl_setopt_write_function(handle, responseWriter) : status
        status = status == CURLE_OK ? refdesk_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque()) : status
        guard status == CURLE_OK else { return .networkError("cannot set up the request: \(describe(status))") }

        let result = curl_easy_perform(handle)
        guard result == CURLE_OK else {
            if sink.overflowed { return .networkError("the answer was larger than \(maximumResponseBytes) bytes") }
            return .networkError(describe(result))
        }
        var code = 0
        _ = refdesk_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return .response(status: code, body: sink.bytes)
    }

    private static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "libcurl error \(code.rawValue)" }
        return String(cString: text)
    }
}

/// Collects a response body on the request's thread; reached from libcurl's C callback through `Unmanaged`.
private final class ResponseSink {
    var bytes: [UInt8] = []
    var overflowed = false
}

private let responseWriter: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, user in
    guard let user else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    guard let data, length > 0 else { return length }
    guard sink.bytes.count + length <= CurlClient.maximumResponseBytes else {
        sink.overflowed = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
    return length
}
