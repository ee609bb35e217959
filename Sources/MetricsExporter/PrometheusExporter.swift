import CoreMetrics
import Prometheus
import RefdeskMetrics
import RefdeskVersion

/// A daemon's metrics exporter: what the process emits through swift-metrics (refdesk's own families and any
/// library's), kept in a Prometheus registry and rendered in the Prometheus text format for `/metrics`.
///
/// The registry, the types, the escaping and the number formats are swift-prometheus'; refdesk adds only the
/// help text of its own families (``MetricFamily``), which swift-metrics' API has no place for.
public struct PrometheusExporter: MetricsExposition {
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory that feeds ``registry``.
    public let factory: any MetricsFactory

    /// An exporter with a registry of its own, not yet used by swift-metrics (see ``bootstrap(version:)``).
    public init(families: [MetricFamily] = MetricFamily.all) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.factory = DescribedPrometheusFactory(registry: registry, families: families)
    }

    /// Makes a new exporter the process-wide backend of swift-metrics and sets `refdesk_build_info`. A daemon calls
    /// this once, early: metrics created before it go nowhere (swift-metrics allows one bootstrap per process).
    public static func bootstrap(version: String = RefdeskVersion.number) -> PrometheusExporter {
        let exporter = PrometheusExporter()
        MetricsSystem.bootstrap(exporter.factory)
        exporter.setBuildInfo(version: version)
        return exporter
    }

    /// `refdesk_build_info{version="…"} 1`.
    public func setBuildInfo(version: String = RefdeskVersion.number) {
        MetricFamily.buildInfo.gauge(version, factory: factory).set(1)
    }

    /// The Prometheus text exposition format, version 0.0.4.
    public var contentType: String { "text/plain; version=0.0.4; charset=utf-8" }

    public func render() -> String {
        registry.emitToString()
    }
}

/// swift-prometheus' own factory, with the help text of refdesk's families on their `# HELP` lines.
///
/// swift-prometheus gives metrics made through swift-metrics no help text, and refuses a second registration of a
/// name with a different one, so refdesk's families are registered here, with their help, as swift-metrics asks
/// for them; every other name (a library's) and every histogram go to the plain factory.
struct DescribedPrometheusFactory: MetricsFactory {
    let plain: PrometheusMetricsFactory
    let help: [String: String]

    init(registry: PrometheusCollectorRegistry, families: [MetricFamily]) {
        self.plain = PrometheusMetricsFactory(registry: registry)
        self.help = Dictionary(families.map { ($0.name, $0.help) }, uniquingKeysWith: { first, _ in first })
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor? {
        help[label].map { MetricNameDescriptor(metricName: label, unitName: "", helpText: $0) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let descriptor = descriptor(label) else { return plain.makeCounter(label: label, dimensions: dimensions) }
        return plain.registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let descriptor = descriptor(label) else { return plain.makeFloatingPointCounter(label: label, dimensions: dimensions) }
        return plain.registry.makeCounter(descriptor: descriptor, labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let descriptor = descriptor(label) else { return plain.makeMeter(label: label, dimensions: dimensions) }
        return plain.registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate, let descriptor = descriptor(label) else {
            return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return plain.registry.makeGauge(descriptor: descriptor, labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        plain.makeTimer(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}
