import Foundation
import Logging
import NIOHTTP1
import WeftHTTP
import WeftStore

/// Everything a handler needs: the database, the migrations it expects, settings, a logger.
public struct AppContext: Sendable {
    public let pool: PostgresPool
    public let migrations: MigrationRunner
    public let configuration: AppConfiguration
    public let logger: Logger

    public init(pool: PostgresPool, migrations: MigrationRunner, configuration: AppConfiguration, logger: Logger) {
        self.pool = pool
        self.migrations = migrations
        self.configuration = configuration
        self.logger = logger
    }
}

/// Weft's HTTP surface: every route, wired to its handler, behind the `/v1` key check.
public struct WeftApp: Sendable {
    public let context: AppContext
    private let router: Router
    /// Every route the router serves, as (method, path template); docs/openapi.yaml must list exactly these.
    public let routes: [(method: HTTPMethod, path: String)]

    public init(context: AppContext) {
        self.context = context
        var builder = RouterBuilder()
        Self.register(on: &builder, context: context)
        self.routes = builder.routes
        self.router = builder.build()
    }

    /// The responder to give the HTTP server.
    public var responder: any Responder {
        APIKeyGate(next: router, authenticator: Authenticator(pool: context.pool))
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
    }
}
