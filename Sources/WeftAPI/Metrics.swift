import Foundation
import Metrics
import Prometheus
import Synchronization
import WeftHTTP
import WeftStore

/// The metrics one ``WeftApp`` exposes at `GET /metrics`, in a registry of its own.
///
/// Each app owns its registry rather than bootstrapping the global `MetricsSystem`: tests
/// start many servers in one process, and a process-wide bootstrap can happen only once.
/// Code that prefers the swift-metrics API records through ``factory`` (e.g.
/// `Timer(label:dimensions:factory:)`), which writes into the same registry.
public final class WeftMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory writing into ``registry``.
    public let factory: PrometheusMetricsFactory
    private let pool: PostgresPool?
    private let runsInProgress: (@Sendable () -> Int)?

    /// Names and help texts in one place: the registry refuses a name registered twice
    /// with different help, so every call site must agree. (subsystem, name, unit, help)
    /// under the `weft` namespace.
    enum Name {
        typealias Parts = (subsystem: String, metric: String, unit: String, help: String)
        static let requests: Parts = ("http", "requests", "total", "HTTP requests answered, by method, route template and status.")
        static let requestDuration: Parts = ("http", "request_duration", "seconds", "Time to answer an HTTP request, by method, route template and status.")
        static let inFlight: Parts = ("http", "requests", "in_flight", "HTTP requests being answered now.")
        static let rateLimited: Parts = ("http", "rate_limited", "total", "Requests refused with 429 by the per-key rate limit, by role.")
        static let databaseUnavailable: Parts = ("database", "unavailable", "total", "Requests answered 503 (database unreachable, migrations pending, shutting down), by route template.")
        static let poolOpen: Parts = ("db_pool", "connections", "open", "Database connections open in this process's pool.")
        static let poolInUse: Parts = ("db_pool", "connections", "in_use", "Database connections leased to a request or job right now.")
        static let poolWaiting: Parts = ("db_pool", "waiters", "", "Callers waiting for a database connection right now.")
        static let poolMax: Parts = ("db_pool", "connections", "max", "The most connections the pool opens (WEFT_DB_POOL_SIZE).")
        static let runsRunning: Parts = ("schedule", "runs", "running", "Schedule runs executing in this process right now.")
        static let placements: Parts = ("", "placements", "total", "Order submissions (POST /v1/orders), by outcome: scheduled, partial, unscheduled, or the HTTP status of a refusal.")
        static let placementDuration: Parts = ("", "placement_duration", "seconds", "Time to answer an order submission, placement and storage included, by outcome.")

        static func descriptor(_ parts: Parts) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "weft", subsystem: parts.subsystem, metricName: parts.metric, unitName: parts.unit, helpText: parts.help)
        }
    }

    /// Latency buckets from 1 ms to 30 s: placements lock slots and can queue behind each other.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    private let inFlight: Prometheus.Gauge
    /// Each (method, route, status) series met so far, so that a request does not build its
    /// label arrays and metric names and look them up in the registry (its lock) every time.
    private let requestSeries = Mutex<[RequestSeriesKey: RequestSeries]>([:])

    struct RequestSeriesKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    struct RequestSeries {
        let count: Prometheus.Counter
        let duration: Prometheus.DurationHistogram
    }
    private let poolOpen: Prometheus.Gauge
    private let poolInUse: Prometheus.Gauge
    private let poolWaiting: Prometheus.Gauge
    private let runsRunning: Prometheus.Gauge

    /// A fresh registry; `pool` and `runsInProgress` (when given) are sampled at every scrape.
    public init(pool: PostgresPool?, runsInProgress: (@Sendable () -> Int)? = nil) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
        self.pool = pool
        self.runsInProgress = runsInProgress
        self.runsRunning = registry.makeGauge(descriptor: Name.descriptor(Name.runsRunning))
        self.inFlight = registry.makeGauge(descriptor: Name.descriptor(Name.inFlight))
        self.poolOpen = registry.makeGauge(descriptor: Name.descriptor(Name.poolOpen))
        self.poolInUse = registry.makeGauge(descriptor: Name.descriptor(Name.poolInUse))
        self.poolWaiting = registry.makeGauge(descriptor: Name.descriptor(Name.poolWaiting))
        if let pool {
            registry.makeGauge(descriptor: Name.descriptor(Name.poolMax)).set(Int64(pool.configuration.maxConnections))
        }
    }

    /// Marks a request as started; call ``requestFinished()`` when it is answered.
    func requestStarted() { inFlight.increment() }

    /// Marks a request as answered.
    func requestFinished() { inFlight.decrement() }

    /// Counts one answered request and its latency. `route` is the template, never the raw
    /// path, so that ids do not explode the number of series.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestSeriesKey(method: method, route: route, status: status)
        let series = requestSeries.withLock { $0[key] } ?? {
            let labels = [("method", method), ("route", route), ("status", String(status))]
            let made = RequestSeries(
                count: registry.makeCounter(descriptor: Name.descriptor(Name.requests), labels: labels),
                duration: registry.makeDurationHistogram(descriptor: Name.descriptor(Name.requestDuration), labels: labels,
                                                         buckets: Self.durationBuckets))
            requestSeries.withLock { $0[key] = made }
            return made
        }()
        series.count.increment()
        series.duration.record(duration)
        if status == 503 {
            registry.makeCounter(descriptor: Name.descriptor(Name.databaseUnavailable), labels: [("route", route)]).increment()
        }
    }

    /// Counts one order submission by outcome.
    func recordPlacement(outcome: String, duration: Duration) {
        let labels = [("outcome", outcome)]
        registry.makeCounter(descriptor: Name.descriptor(Name.placements), labels: labels).increment()
        registry.makeDurationHistogram(descriptor: Name.descriptor(Name.placementDuration), labels: labels, buckets: Self.durationBuckets).record(duration)
    }

    /// Counts a request refused by the rate limit.
    func recordRateLimited(role: String) {
        registry.makeCounter(descriptor: Name.descriptor(Name.rateLimited), labels: [("role", role)]).increment()
    }

    /// The Prometheus text exposition (format 0.0.4), with the pool sampled now.
    public func render() -> [UInt8] {
        if let usage = pool?.usage {
            poolOpen.set(Int64(usage.open))
            poolInUse.set(Int64(usage.inUse))
            poolWaiting.set(Int64(usage.waiting))
        }
        if let runsInProgress { runsRunning.set(Int64(runsInProgress())) }
        return registry.emitToBuffer()
    }
}

/// `GET /metrics`: unauthenticated, as Prometheus scrapes it; keep it off the public
/// network at the load balancer if route names and volumes are sensitive.
struct MetricsRoutes {
    let metrics: WeftMetrics

    /// The content type of the Prometheus text format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(on builder: inout RouterBuilder) {
        let metrics = self.metrics
        builder.on(.GET, "/metrics") { _ in
            Response(status: .ok, headers: ["Content-Type": Self.contentType], body: metrics.render())
        }
    }
}
