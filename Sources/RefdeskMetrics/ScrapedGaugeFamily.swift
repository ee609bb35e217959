import CoreMetrics
import Synchronization

/// A gauge family whose series are all read at once at scrape time (a count per queue from the database, say).
///
/// Each ``update(_:)`` sets every series of the new reading and destroys the series missing from it, so a queue that
/// was deleted disappears from `/metrics` instead of keeping its last value.
public final class ScrapedGaugeFamily: Sendable {
    public let family: MetricFamily
    private let factory: any MetricsFactory
    private let series = Mutex<[[String]: Meter]>([:])

    /// Series are made with `factory` (by default the one swift-metrics uses where this is created).
    public init(_ family: MetricFamily, factory: any MetricsFactory = MetricsSystem.factory) {
        self.family = family
        self.factory = factory
    }

    /// `reading` maps label values (in the order of the family's labels) to the current value of each series.
    public func update(_ reading: [[String]: Double]) {
        series.withLock { series in
            for (labels, meter) in series where reading[labels] == nil {
                meter.destroy()
                series[labels] = nil
            }
            for (labels, value) in reading {
                let meter = series[labels] ?? family.gauge(labels, factory: factory)
                meter.set(value)
                series[labels] = meter
            }
        }
    }
}
