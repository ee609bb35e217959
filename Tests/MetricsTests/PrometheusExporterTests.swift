import CoreMetrics
import MetricsExporter
import MetricsTestKit
import RefdeskMetrics
import RefdeskVersion
import Testing

@Suite("Prometheus export of what refdesk emits through swift-metrics")
struct PrometheusExporterTests {
    @Test("a counter emitted through swift-metrics is exposed with its family's help, type and labels in order")
    func counterWithHelpAndLabels() {
        let exporter = PrometheusExporter()
        let messages = MetricFamily.messagesIn.counter("twilio", "3", factory: exporter.factory)
        messages.increment()
        messages.increment(by: 2)
        let text = exporter.render()
        #expect(text.contains("# HELP refdesk_messages_in_total Patron messages received, by protocol and gateway id.\n"))
        #expect(text.contains("# TYPE refdesk_messages_in_total counter\n"))
        #expect(text.contains("refdesk_messages_in_total{protocol=\"twilio\",gateway=\"3\"} 3\n"))
    }

    @Test("the same family and labels made twice are one series")
    func sameSeriesTwice() {
        let exporter = PrometheusExporter()
        MetricFamily.webhookRejects.counter("sms", "403", factory: exporter.factory).increment()
        MetricFamily.webhookRejects.counter("sms", "403", factory: exporter.factory).increment()
        let text = exporter.render()
        #expect(text.contains("refdesk_webhook_rejects_total{endpoint=\"sms\",status=\"403\"} 2\n"))
        #expect(text.split(separator: "\n").filter { $0 == "# TYPE refdesk_webhook_rejects_total counter" }.count == 1)
    }

    @Test("label values are escaped as the text format requires")
    func labelEscaping() {
        let exporter = PrometheusExporter()
        MetricFamily.queueOnline.gauge("a\"b\\c\nd", factory: exporter.factory).set(1)
        #expect(exporter.render().contains(#"refdesk_queue_online{queue="a\"b\\c\nd"} 1.0"# + "\n"))
    }

    @Test("a metric some library emits under its own name is exposed too, without help")
    func foreignMetric() {
        let exporter = PrometheusExporter()
        Counter(label: "library_requests_total", dimensions: [("kind", "x")], factory: exporter.factory).increment()
        let text = exporter.render()
        #expect(text.contains("# TYPE library_requests_total counter\nlibrary_requests_total{kind=\"x\"} 1\n"))
        #expect(!text.contains("# HELP library_requests_total"))
    }

    @Test("refdesk_build_info names the running release")
    func buildInfo() {
        let exporter = PrometheusExporter()
        exporter.setBuildInfo()
        let text = exporter.render()
        #expect(text.contains("# TYPE refdesk_build_info gauge\n"))
        #expect(text.contains("refdesk_build_info{version=\"\(RefdeskVersion.number)\"} 1.0\n"))
        #expect(exporter.contentType == "text/plain; version=0.0.4; charset=utf-8")
    }
}

@Suite("Gauges read at scrape time")
struct ScrapedGaugeFamilyTests {
    @Test("each reading sets every series and removes the series it no longer has")
    func vanishedSeriesDisappear() throws {
        let metrics = TestMetrics()
        let online = ScrapedGaugeFamily(.queueOnline, factory: metrics)
        online.update([["old"]: 1, ["science"]: 0])
        online.update([["science"]: 1])
        #expect(try metrics.expectMeter("refdesk_queue_online", [("queue", "science")]).lastValue == 1)
        #expect(metrics.meters(label: "refdesk_queue_online").count == 1, "the deleted queue's series is gone")
    }

    @Test("a removed series is gone from the exposition too")
    func vanishedSeriesLeaveTheExposition() {
        let exporter = PrometheusExporter()
        let depth = ScrapedGaugeFamily(.offlineInboxDepth, factory: exporter.factory)
        depth.update([["ask"]: 2, ["gone"]: 5])
        depth.update([["ask"]: 3])
        let text = exporter.render()
        #expect(text.contains("refdesk_offline_inbox_depth{queue=\"ask\"} 3.0\n"))
        #expect(!text.contains("gone"))
    }
}

@Suite("/metrics and /healthz")
struct MetricsEndpointsTests {
    @Test("/healthz is 200 when every check is healthy and 503 naming the failed dependency otherwise")
    func health() async {
        let xmpp = ConnectionHealth(name: "xmpp", detail: "not connected yet")
        let endpoints = MetricsEndpoints(exposition: PrometheusExporter(), health: { HealthReport(checks: [xmpp.check]) })
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
        let exporter = PrometheusExporter()
        let depth = MetricFamily.spoolPending.gauge(factory: exporter.factory)
        let endpoints = MetricsEndpoints(exposition: exporter, collect: { depth.set(7) }, health: { HealthReport(checks: []) })
        let answer = await endpoints.answer(method: "GET", uri: "/metrics")
        #expect(answer?.status == 200)
        #expect(answer?.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(answer?.body.contains("refdesk_spool_pending 7.0\n") == true)
    }

    @Test("other paths are not answered, other methods are refused")
    func otherRequests() async {
        let endpoints = MetricsEndpoints(exposition: PrometheusExporter(), health: { HealthReport(checks: []) })
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
