import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WeftAPI
import WeftHTTP
import WeftStore
import WeftTestSupport

@Suite("Metrics and access log")
struct MetricsTests {
    @Test func scrapeCountsRequestsByRouteTemplateAndStatus() async throws {
        // Keys read once: a background refresh (after 0.25 s by default, easily reached on a
        // loaded machine) would hold a pooled connection while the scrape counts them.
        let server = try await ObservedServer.start(apiKeys: APIKeyCache(maxAge: .seconds(3600), refreshAge: .seconds(3600)))
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "Only", slots: [(1, 100, 10)])])
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let factory = try #require(network.factoryIDs["Only"]).uuidString.lowercased()

        #expect(try await client.send("GET", "/healthz").status == 200)
        #expect(try await client.send("GET", "/healthz").status == 200)
        #expect(try await client.send("GET", "/v1/factories/\(factory)", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        #expect(try await client.send("GET", "/v1/factories/\(UUID())", headers: ["Authorization": "Bearer \(admin)"]).status == 404)
        #expect(try await client.send("GET", "/v1/factories").status == 401)
        #expect(try await client.send("GET", "/no/such/route").status == 404)
        let order = OrderSubmitTests.order(due: 3, quantity: 40)
        #expect(try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"], json: order).status == 201)
        #expect(try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"], json: OrderSubmitTests.order(due: 3, quantity: 500)).status == 201)
        #expect(try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"], json: "{}").status == 422)

        let scrape = try await client.send("GET", "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = scrape.text
        let metrics = Scrape(text)
        #expect(metrics[#"weft_http_requests_total{method="GET",route="/healthz",status="200"}"#] == 2)
        // Ids never become labels: both factory reads share the template.
        #expect(metrics[#"weft_http_requests_total{method="GET",route="/v1/factories/{id}",status="200"}"#] == 1)
        #expect(metrics[#"weft_http_requests_total{method="GET",route="/v1/factories/{id}",status="404"}"#] == 1)
        #expect(!text.contains(factory))
        // The key gate answers before routing, and unknown paths have no template.
        #expect(metrics[#"weft_http_requests_total{method="GET",route="unmatched",status="401"}"#] == 1)
        #expect(metrics[#"weft_http_requests_total{method="GET",route="unmatched",status="404"}"#] == 1)
        #expect(metrics[#"weft_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}"#] == 2)
        #expect(metrics[#"weft_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="+Inf"}"#] == 2)
        #expect(metrics[#"weft_placements_total{outcome="scheduled"}"#] == 1)
        #expect(metrics[#"weft_placements_total{outcome="partial"}"#] == 1)
        #expect(metrics[#"weft_placements_total{outcome="422"}"#] == 1)
        #expect(metrics[#"weft_placement_duration_seconds_count{outcome="scheduled"}"#] == 1)
        // The scrape itself is in flight while it renders.
        #expect(metrics["weft_http_requests_in_flight"] == 1)
        #expect(metrics["weft_db_pool_connections_max"] == 4)
        #expect((metrics["weft_db_pool_connections_open"] ?? 0) >= 1)
        #expect(metrics["weft_db_pool_connections_in_use"] == 0)
        #expect(metrics["weft_db_pool_waiters"] == 0)
        #expect(metrics["weft_schedule_runs_running"] == 0)
        #expect(text.contains("# TYPE weft_http_request_duration_seconds histogram"))
        #expect(text.contains("# HELP weft_http_requests_total "))

        // Unusual methods (the parser refuses invented ones) share one series.
        for name in ["PROPFIND", "MKCOL", "PURGE"] {
            #expect(try await server.client().send(name, "/no/such/route").status == 404)
        }
        // The scrape before is counted in the next one.
        let again = Scrape(try await client.send("GET", "/metrics").text)
        #expect(again[#"weft_http_requests_total{method="GET",route="/metrics",status="200"}"#] == 1)
        #expect(again[#"weft_http_requests_total{method="other",route="unmatched",status="404"}"#] == 3)
        try await server.stop()
    }

    @Test func unreachableDatabaseIsCountedAs503() async throws {
        let server = try await ObservedServer.start(databaseURL: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
        let client = try server.client()
        #expect(try await client.send("GET", "/readyz").status == 503)
        #expect(try await client.send("GET", "/v1/factories", headers: ["Authorization": "Bearer wft_aaaaaaaaaa_aaaaaaaaaaaaaaaaaaaa"]).status == 503)
        let metrics = Scrape(try await client.send("GET", "/metrics").text)
        #expect(metrics[#"weft_database_unavailable_total{route="/readyz"}"#] == 1)
        #expect(metrics[#"weft_database_unavailable_total{route="unmatched"}"#] == 1)
        try await server.stop()
    }

    @Test func accessLogNamesTheCaller() async throws {
        let server = try await ObservedServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "Only", slots: [(1, 100, 10)])])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let response = try await client.send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(broker)", "X-Request-Id": "trace-me-1"])
        #expect(response.status == 200)
        _ = try await client.send("GET", "/healthz", headers: ["X-Request-Id": "trace-me-2"])
        try await server.stop()

        let lines = server.log.entries.filter { $0.metadata["request_id"] == "trace-me-1" }
        let line = try #require(lines.first)
        #expect(lines.count == 1)
        #expect(line.level == .info)
        #expect(line.metadata["http.route"] == "/v1/orders")
        #expect(line.metadata["http.status"] == "200")
        #expect(line.metadata["latency_ms"] != nil)
        #expect(line.metadata["auth.role"] == "broker")
        #expect(line.metadata["auth.tenant"] == "broker:\(network.brokerID.uuidString.lowercased())")
        #expect(line.metadata["auth.key_id"]?.isEmpty == false)
        let anonymous = try #require(server.log.entries.first { $0.metadata["request_id"] == "trace-me-2" })
        #expect(anonymous.metadata["auth.role"] == nil)
    }
}

/// A Prometheus text scrape as `series → value`.
struct Scrape {
    private var values: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
    }

    subscript(series: String) -> Double? { values[series] }
}

/// Log lines kept in memory, to check what the access log says.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(Entry(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// A Weft server like ``TestServer`` whose configuration and log the test chooses.
struct ObservedServer {
    let server: TestServer
    let log: LogCapture
    var port: Int { server.port }
    var pool: PostgresPool { server.pool }
    var app: WeftApp { server.app }

    /// Over a fresh migrated database, or (with `databaseURL`) over that one, unmigrated.
    /// - Parameter apiKeys: the app's key cache (a long-lived one keeps background key reads,
    ///   and the pooled connection each holds, out of a test that counts connections in use).
    static func start(configuration: AppConfiguration = AppConfiguration(), databaseURL: String? = nil,
                      http: HTTPServerConfiguration = HTTPServerConfiguration(),
                      apiKeys: APIKeyCache = APIKeyCache()) async throws -> ObservedServer {
        let log = LogCapture()
        let logger = Logger(label: "weft.test.observed") { _ in LogCapture.Handler(capture: log) }
        let pool: PostgresPool
        let url: String
        if let databaseURL {
            pool = PostgresPool(configuration: .init(connectionString: databaseURL, maxConnections: 4), logger: logger)
            url = databaseURL
        } else {
            (pool, url) = try await TestDatabase.migratedPool(maxConnections: 4)
        }
        let app = WeftApp(context: AppContext(
            pool: pool, migrations: MigrationRunner(migrations: try MigrationRunner.bundled(), logger: logger),
            configuration: configuration, logger: logger, apiKeys: apiKeys))
        return ObservedServer(server: try await TestServer.serve(app, databaseURL: url, http: http, logger: logger), log: log)
    }

    func client() throws -> TestHTTPClient { try server.client() }

    func issueKey(role: Role, factoryID: UUID? = nil, brokerID: UUID? = nil) async throws -> String {
        try await server.issueKey(role: role, factoryID: factoryID, brokerID: brokerID)
    }

    func stop() async throws { try await server.stop() }
}
