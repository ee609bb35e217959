import CRefdeskCurl
import NIOConcurrencyHelpers
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

/// Form POSTs with libcurl's easy interface on threads of their own, over kept connections.
///
/// `curl_easy_perform` blocks until the answer is in, so each request runs on a thread of a small `NIOThreadPool`,
/// never on an event loop or the cooperative pool. Each request borrows an easy handle from `handles` and gives it
/// back: a handle keeps its connections (TLS sessions, HTTP/2 where the server offers it) and its DNS cache, so a
/// reply to Twilio costs one round trip instead of a TCP and a TLS handshake first. At most `threads` handles
/// exist, so at most that many requests are in flight and that many connections kept. Requests in flight bound the
/// reply rate at `threads` / the API's answer time: 16 send up to 400 replies/s to an API 40 ms away (4 allowed 100).
final class CurlClient: FormPoster {
    private let pool: NIOThreadPool
    private let handles: EasyHandlePool
    private let timeoutMilliseconds: Int
    private let caFile: String?
    static let maximumResponseBytes = 256 * 1024

    /// Initialises libcurl for the process; call once, before any other thread uses it.
    static func globalInit() {
        _ = curl_global_init(Int(CURL_GLOBAL_ALL))
    }

    /// `caFile`: a PEM bundle trusted instead of the system's certificate authorities.
    init(threads: Int = 16, timeout: Duration = .seconds(30), caFile: String? = nil) {
        self.caFile = caFile
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        handles = EasyHandlePool(limit: threads)
        let (seconds, attoseconds) = timeout.components
        timeoutMilliseconds = Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
        handles.closeAll()
    }

    func post(url: String, authorization: String, formBody: String) async -> HTTPOutcome {
        let timeout = timeoutMilliseconds
        let handles = handles
        let caFile = caFile
        do {
            return try await pool.runIfActive {
                guard let handle = handles.borrow() else { return .networkError("curl_easy_init failed") }
                defer { handles.giveBack(handle) }
                return Self.perform(
                    on: handle.pointer, url: url, authorization: authorization, formBody: formBody, timeoutMilliseconds: timeout, caFile: caFile
                )
            }
        } catch {
            return .networkError("the HTTP client is shutting down")
        }
    }

    /// Runs one request to its end on the calling thread, on a handle reset to no options (its connections stay).
    private static func perform(
        on handle: UnsafeMutableRawPointer, url: String, authorization: String, formBody: String, timeoutMilliseconds: Int,
        caFile: String?
    ) -> HTTPOutcome {
        curl_easy_reset(handle)
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
        // HTTP/2 when the server offers it in the TLS handshake (api.twilio.com does), HTTP/1.1 otherwise.
        status = status == CURLE_OK ? refdesk_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)) : status
        if let caFile, status == CURLE_OK { status = refdesk_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
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

/// libcurl easy handles not in use, each with the connections it keeps open.
///
/// A handle is used by one request at a time: `borrow` hands it out exclusively and `giveBack` takes it back, so it
/// moves between pool threads but is never shared; that is what makes `EasyHandle` safe to send.
final class EasyHandlePool: Sendable {
    struct EasyHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let idle = NIOLockedValueBox<[EasyHandle]>([])
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// An idle handle, or a new one.
    func borrow() -> EasyHandle? {
        if let handle = idle.withLockedValue({ $0.popLast() }) { return handle }
        return curl_easy_init().map(EasyHandle.init)
    }

    func giveBack(_ handle: EasyHandle) {
        let kept = idle.withLockedValue { handles -> Bool in
            guard handles.count < limit else { return false }
            handles.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle.pointer) }
    }

    /// Closes every idle handle and its connections.
    func closeAll() {
        for handle in idle.withLockedValue({ handles in defer { handles = [] }; return handles }) {
            curl_easy_cleanup(handle.pointer)
        }
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
