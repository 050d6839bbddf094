import Foundation
import Logging
import NIOHTTP1
import WeftHTTP
import WeftStore

/// Everything a handler needs: the database, the migrations it expects, settings, a logger.
public struct AppContext: Sendable {
    public let pool: PostgresPool
    /// What the reports and the dashboard's charts read through: a small pool on a read
    /// replica (`WEFT_REPORTS_DATABASE_URL`), or `pool` itself when there is none.
    public let reportsPool: PostgresPool
    public let migrations: MigrationRunner
    public let configuration: AppConfiguration
    public let logger: Logger
    /// Schedule runs executing in this process.
    public let runs: RunCoordinator
    /// Each capability's slots and free units as order placement last saw them.
    public let placements = PlacementCache()
    /// When expired Idempotency-Key records were last purged.
    let idempotencyPurge = IdempotencyPurge()
    /// API keys this process has recently read, so requests do not each read their key.
    public let apiKeys: APIKeyCache

    public init(pool: PostgresPool, migrations: MigrationRunner, configuration: AppConfiguration, logger: Logger, runs: RunCoordinator? = nil,
                reportsPool: PostgresPool? = nil, apiKeys: APIKeyCache = APIKeyCache()) {
        self.pool = pool
        self.apiKeys = apiKeys
        self.reportsPool = reportsPool ?? pool
        self.migrations = migrations
        self.configuration = configuration
        self.logger = logger
        self.runs = runs ?? RunCoordinator(pool: pool, configuration: configuration, logger: logger)
    }
}

/// Weft's HTTP surface: every route, wired to its handler, behind the `/v1` key check.
public struct WeftApp: Sendable {
    public let context: AppContext
    private let router: Router
    /// Every route the router serves, as (method, path template); docs/openapi.yaml must list exactly these.
    public let routes: [(method: HTTPMethod, path: String)]
    /// What `GET /metrics` reports; one registry per app.
    public let metrics: WeftMetrics

    public init(context: AppContext) {
        self.context = context
        let runs = context.runs
        self.metrics = WeftMetrics(pool: context.pool, runsInProgress: { runs.running.count })
        var builder = RouterBuilder()
        builder.add(middleware: PrincipalLogMiddleware())
        builder.add(middleware: StatementBudgetMiddleware())
        if let limit = context.configuration.rateLimit {
            builder.add(middleware: RateLimitMiddleware(limiter: RateLimiter(configuration: limit), metrics: metrics))
        }
        Self.register(on: &builder, context: context)
        MetricsRoutes(metrics: metrics).register(on: &builder)
        self.routes = builder.routes
        self.router = builder.build()
    }

    /// The responder to give the HTTP server.
    public var responder: any Responder {
        MetricsResponder(metrics: metrics, next: APIKeyGate(next: router, authenticator: Authenticator(pool: context.pool, cache: context.apiKeys)))
    }

    static func register(on builder: inout RouterBuilder, context: AppContext) {
        HealthRoutes(context: context).register(on: &builder)
        OpenAPIRoutes(context: context).register(on: &builder)
        APIKeyRoutes(context: context).register(on: &builder)
        BrokerRoutes(context: context).register(on: &builder)
        FactoryRoutes(context: context).register(on: &builder)
        CapacityRoutes(context: context).register(on: &builder)
        OrderRoutes(context: context).register(on: &builder)
        AllocationRoutes(context: context).register(on: &builder)
        BatchRoutes(context: context).register(on: &builder)
        RunRoutes(context: context).register(on: &builder)
        ReportRoutes(context: context).register(on: &builder)
        DashboardRoutes(context: context).register(on: &builder)
    }
}
