import Metrics
import RefdeskVersion
import Testing

@Suite("Prometheus text format")
struct MetricsRegistryTests {
    @Test("a counter renders HELP, TYPE and one line per label tuple, sorted")
    func counterRendering() {
        let registry = MetricsRegistry()
        let messages = registry.counter("refdesk_messages_in_total", help: "Patron messages received.", labels: ["protocol", "gateway"])
        messages.increment(labels: ["twilio", "2"])
        messages.increment(labels: ["twilio", "1"])
        messages.increment(by: 2, labels: ["twilio", "1"])
        #expect(registry.render() == """
            # HELP refdesk_messages_in_total Patron messages received.
            # TYPE refdesk_messages_in_total counter
            refdesk_messages_in_total{protocol="twilio",gateway="1"} 3
            refdesk_messages_in_total{protocol="twilio",gateway="2"} 1

            """)
    }

    @Test("a counter never goes down")
    func counterIsMonotonic() {
        let registry = MetricsRegistry()
        let counter = registry.counter("c_total", help: "c")
        counter.increment(by: 5)
        counter.increment(by: -3)
        #expect(registry.value("c_total") == 5)
    }

    @Test("gauges go up and down, and replaceAll drops series that are gone")
    func gauges() {
        let registry = MetricsRegistry()
        let online = registry.gauge("refdesk_queue_online", help: "Queue online.", labels: ["queue"])
        online.set(true, labels: ["ask"])
        online.set(false, labels: ["old"])
        online.replaceAll([["ask"]: 0, ["science"]: 1])
        #expect(registry.value("refdesk_queue_online", labels: ["old"]) == nil)
        #expect(registry.render().contains("refdesk_queue_online{queue=\"science\"} 1\n"))
        let depth = registry.gauge("depth", help: "d")
        depth.increment(by: 3)
        depth.decrement()
        #expect(registry.value("depth") == 2)
    }

    @Test("label values and help text are escaped so a hostile queue name cannot break the format")
    func escaping() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("g", help: "line one\nback\\slash", labels: ["queue"])
        gauge.set(1, labels: ["a\"b\\c\nd"])
        #expect(registry.render() == "# HELP g line one\\nback\\\\slash\n# TYPE g gauge\ng{queue=\"a\\\"b\\\\c\\nd\"} 1\n")
    }

    @Test("fractions, infinities and NaN use Prometheus' spellings")
    func numbers() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("g", help: "h", labels: ["k"])
        gauge.set(0.5, labels: ["a"])
        gauge.set(.infinity, labels: ["b"])
        gauge.set(.nan, labels: ["c"])
        let text = registry.render()
        #expect(text.contains("g{k=\"a\"} 0.5\n"))
        #expect(text.contains("g{k=\"b\"} +Inf\n"))
        #expect(text.contains("g{k=\"c\"} NaN\n"))
    }

    @Test("registering a family twice keeps one family and its values")
    func registerTwice() {
        let registry = MetricsRegistry()
        registry.counter("x_total", help: "x").increment()
        registry.counter("x_total", help: "x").increment()
        #expect(registry.value("x_total") == 2)
        #expect(registry.render().split(separator: "\n").filter { $0 == "# TYPE x_total counter" }.count == 1)
    }
}

@Suite("/metrics and /healthz")
struct MetricsEndpointsTests {
    @Test("/healthz is 200 when every check is healthy and 503 naming the failed dependency otherwise")
    func health() async {
        let xmpp = ConnectionHealth(name: "xmpp", detail: "not connected yet")
        let endpoints = MetricsEndpoints(registry: MetricsRegistry(), health: { HealthReport(checks: [xmpp.check]) })
        let down = await endpoints.answer(method: "GET", uri: "/healthz")
        #expect(down?.status == 503)
        #expect(down?.body == "{\"healthy\":false,\"checks\":[{\"name\":\"xmpp\",\"healthy\":false,\"detail\":\"not connected yet\"}]}\n")
        xmpp.set(up: true, detail: "connected")
        let up = await endpoints.answer(method: "GET", uri: "/healthz?verbose=1")
        #expect(up?.status == 200)
        #expect(up?.contentType == "application/json")
    }

    @Test("/metrics refreshes scrape-time gauges before rendering")
    func collectBeforeRender() async {
        let registry = MetricsRegistry()
        let depth = registry.gauge("refdesk_outbox_depth", help: "d")
        let endpoints = MetricsEndpoints(registry: registry, collect: { depth.set(7) }, health: { HealthReport(checks: []) })
        let answer = await endpoints.answer(method: "GET", uri: "/metrics")
        #expect(answer?.status == 200)
        #expect(answer?.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(answer?.body.contains("refdesk_outbox_depth 7\n") == true)
    }

    @Test("other paths are not answered, other methods are refused")
    func otherRequests() async {
        let endpoints = MetricsEndpoints(registry: MetricsRegistry(), health: { HealthReport(checks: []) })
        #expect(await endpoints.answer(method: "GET", uri: "/sms") == nil)
        #expect(await endpoints.answer(method: "POST", uri: "/metrics")?.status == 405)
        #expect(MetricsEndpoints.handles(uri: "/metrics?x") && !MetricsEndpoints.handles(uri: "/metricsx"))
    }
}

@Suite("listen addresses")
struct ListenAddressTests {
    @Test("host:port and [v6]:port parse", arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9465", "::1", 9465), ("localhost:1", "localhost", 1),
    ])
    func parses(text: String, host: String, port: Int) throws {
        #expect(try ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test("malformed addresses are refused with the reason", arguments: ["9464", ":9464", "127.0.0.1:0", "127.0.0.1:http", "h:70000"])
    func refuses(text: String) {
        #expect(throws: ListenAddressError.self) { try ListenAddress(parsing: text) }
    }
}

@Suite("Build information")
struct BuildInformationTests {
    @Test("a daemon's registry names the running release in refdesk_build_info")
    func buildInfoCarriesTheVersion() {
        let text = MetricsRegistry.forDaemon().render()
        #expect(text.contains("# TYPE refdesk_build_info gauge\n"))
        #expect(text.contains("refdesk_build_info{version=\"\(RefdeskVersion.number)\"} 1\n"))
    }
}
