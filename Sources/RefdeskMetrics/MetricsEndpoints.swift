/// An HTTP answer of the observability endpoints.
public struct MetricsAnswer: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(status: Int, contentType: String, body: String) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// What `/metrics` answers with: the text of every metric in this process, rendered by the daemon's exporter.
public protocol MetricsExposition: Sendable {
    /// The media type of ``render()``'s text.
    var contentType: String { get }
    func render() -> String
}

/// `/metrics` and `/healthz`, independent of any HTTP server, so the router's and the AIM bridge's own listener
/// and the Twilio bridge's webhook server answer them alike.
public struct MetricsEndpoints: Sendable {
    public let exposition: any MetricsExposition
    /// Refreshes gauges read at scrape time (database depths, queue states) before `/metrics` renders.
    public let collect: @Sendable () async -> Void
    /// The dependencies `/healthz` reports on.
    public let health: @Sendable () async -> HealthReport

    public init(
        exposition: any MetricsExposition,
        collect: @escaping @Sendable () async -> Void = {},
        health: @escaping @Sendable () async -> HealthReport
    ) {
        self.exposition = exposition
        self.collect = collect
        self.health = health
    }

    /// The paths answered here.
    public static let paths: Set<String> = ["/metrics", "/healthz"]

    /// Whether `uri` (with or without a query string) is one of ``paths``.
    public static func handles(uri: String) -> Bool {
        paths.contains(path(of: uri))
    }

    /// The answer for a request, or nil when `uri` is not `/metrics` or `/healthz`.
    /// `/healthz` answers 200 when every dependency is up and 503 otherwise, so a plain HTTP check works.
    public func answer(method: String, uri: String) async -> MetricsAnswer? {
        let path = Self.path(of: uri)
        guard Self.paths.contains(path) else { return nil }
        guard method == "GET" || method == "HEAD" else {
            return MetricsAnswer(status: 405, contentType: "text/plain; charset=utf-8", body: "\(path) answers GET only\n")
        }
        switch path {
        case "/metrics":
            await collect()
            return MetricsAnswer(status: 200, contentType: exposition.contentType, body: exposition.render())
        default:
            let report = await health()
            return MetricsAnswer(status: report.healthy ? 200 : 503, contentType: "application/json", body: report.json)
        }
    }

    static func path(of uri: String) -> String {
        String(uri.prefix { $0 != "?" })
    }
}
