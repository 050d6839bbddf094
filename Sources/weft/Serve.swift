import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WeftAPI
import WeftHTTP
import WeftStore

/// `weft serve`: migrate (unless told not to), then serve until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations, then serve HTTP until SIGTERM/SIGINT.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (env WEFT_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env WEFT_PORT, default 8080).")
    var port: Int?

    @Flag(name: .customLong("no-migrate"), help: "Do not apply pending migrations at start-up.")
    var noMigrate = false

    @Option(name: .customLong("freeze-days"), help: "Days from as_of during which allocations are pinned (env WEFT_FREEZE_DAYS, default 1).")
    var freezeDays: Int?

    @Option(name: .customLong("openapi"), help: "Serve this file at /openapi.yaml instead of the built-in copy.")
    var openAPIPath: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let freezeDays, !(0...365).contains(freezeDays) { throw ValidationError("--freeze-days must be between 0 and 365") }
    }

    func run() async throws {
        let logger = database.bootstrapLogging()
        let pool = PostgresPool(configuration: .init(connectionString: database.resolvedURL, maxConnections: database.resolvedPoolSize),
                                logger: Logger(label: "weft.store"))
        defer { pool.close() }
        let migrations = MigrationRunner(migrations: try MigrationRunner.bundled(), logger: Logger(label: "weft.migrations"))
        if !noMigrate {
            let applied = try await migrations.migrate(on: pool)
            logger.info("migrations current", metadata: ["applied_now": "\(applied)"])
        }

        var http = HTTPServerConfiguration()
        http.host = host ?? Environment.string("WEFT_HOST") ?? "127.0.0.1"
        http.port = port ?? Environment.int("WEFT_PORT") ?? 8080
        let app = WeftApp(context: AppContext(
            pool: pool, migrations: migrations,
            configuration: AppConfiguration(freezeDays: freezeDays ?? Environment.int("WEFT_FREEZE_DAYS") ?? 1, openAPIPath: openAPIPath),
            logger: logger))
        let host = http.host
        let server = HTTPServer(configuration: http, responder: app.responder, logger: Logger(label: "weft.http")) { port in
            logger.info("weft is listening", metadata: ["url": "http://\(host):\(port)"])
        }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        logger.info("weft stopped")
    }
}

/// `weft migrate`: apply pending migrations and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = database.bootstrapLogging()
        let pool = PostgresPool(configuration: .init(connectionString: database.resolvedURL, maxConnections: 1))
        defer { pool.close() }
        let runner = MigrationRunner(migrations: try MigrationRunner.bundled(), logger: Logger(label: "weft.migrations"))
        let applied = try await runner.migrate(on: pool)
        let status = try await runner.status(on: pool)
        logger.info("migrations current", metadata: ["applied_now": "\(applied)", "applied": "\(status.applied)"])
        print(applied.isEmpty ? "Database is up to date (\(status.applied.count) migrations)." : "Applied migrations \(applied.map(String.init).joined(separator: ", ")).")
    }
}
