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

    @Option(name: .customLong("reports-database-url"), help: "libpq connection string or URI of a read replica the reports and dashboard charts read from (env WEFT_REPORTS_DATABASE_URL; default: the main database).")
    var reportsDatabaseURL: String?

    @Option(name: .customLong("rate-limit-per-second"), help: "Requests per second each API key may make; 0: unlimited (env WEFT_RATE_LIMIT_PER_SECOND, default 0).")
    var rateLimitPerSecond: Double?

    @Option(name: .customLong("rate-limit-burst"), help: "Requests a key may make at once after a quiet spell (env WEFT_RATE_LIMIT_BURST, default twice the rate).")
    var rateLimitBurst: Int?

    func run() async throws {
        let settings = try database.settings { flags in
            flags.host = self.host; flags.port = self.port; flags.freezeDays = self.freezeDays
            flags.reportsDatabaseURL = self.reportsDatabaseURL; flags.ratePerSecond = self.rateLimitPerSecond; flags.burst = self.rateLimitBurst
        }
        let logger = database.bootstrapLogging(settings)
        let pool = PostgresPool(configuration: settings.postgres(settings.databaseURL, maxConnections: settings.poolSize),
                                logger: Logger(label: "weft.store"))
        defer { pool.close() }
        // Reports are long reads: on a replica they take nothing from the primary, and a small
        // pool of their own keeps a burst of them from queueing behind order traffic anyway.
        let reportsPool = settings.reportsDatabaseURL.map { url in
            PostgresPool(configuration: settings.postgres(url, maxConnections: Self.reportsPoolSize), logger: Logger(label: "weft.store.reports"))
        }
        defer { reportsPool?.close() }
        let migrations = MigrationRunner(migrations: try MigrationRunner.bundled(), logger: Logger(label: "weft.migrations"))
        if !noMigrate {
            let applied = try await migrations.migrate(on: pool)
            logger.info("migrations current", metadata: ["applied_now": "\(applied)"])
        }

        var http = HTTPServerConfiguration()
        http.host = settings.host
        http.port = settings.port
        // WEFT_RUN_INTERVAL (seconds): start a run of every capability that often; unset or 0: never.
        let runInterval = settings.runInterval
        let app = WeftApp(context: AppContext(
            pool: pool, migrations: migrations,
            configuration: AppConfiguration(freezeDays: settings.freezeDays, openAPIPath: openAPIPath,
                                            runInterval: runInterval, rateLimit: settings.rateLimit,
                                            idempotencyTTLSeconds: settings.idempotencyTTLSeconds,
                                            mipSolver: MIPWorker.solver(settings.mipWorker, logger: logger)),
            logger: logger, reportsPool: reportsPool))
        if reportsPool != nil { logger.info("reports read from WEFT_REPORTS_DATABASE_URL") }
        let runs = app.context.runs
        // Runs a dead process left `running` are marked failed (their locks are gone).
        if let abandoned = try? await runs.failAbandoned(), !abandoned.isEmpty {
            logger.warning("marked abandoned runs failed", metadata: ["runs": "\(abandoned)"])
        }
        // Runs queued behind busy capabilities start here too when those free up.
        runs.watchQueue()
        let periodic = runInterval.map { interval in Task { await runs.runPeriodically(every: interval) } }
        let host = http.host
        let server = HTTPServer(configuration: http, responder: app.responder, logger: Logger(label: "weft.http")) { port in
            logger.info("weft is listening", metadata: ["url": "http://\(host):\(port)"])
        }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            periodic?.cancel()
            await runs.shutdown()
            throw error
        }
        // Runs still solving are recorded as failed and their locks released before the pool closes.
        periodic?.cancel()
        await runs.shutdown()
        logger.info("weft stopped")
        LogSink.standardError.shutdown()
    }
}

extension Serve {
    /// Connections of the reports pool: reports are few and each holds one for up to a second.
    static let reportsPoolSize = 4
}

/// `weft migrate`: apply pending migrations and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let settings = try database.settings()
        let logger = database.bootstrapLogging(settings)
        let pool = PostgresPool(configuration: .init(connectionString: settings.databaseURL, maxConnections: 1))
        defer { pool.close() }
        let runner = MigrationRunner(migrations: try MigrationRunner.bundled(), logger: Logger(label: "weft.migrations"))
        let applied = try await runner.migrate(on: pool)
        let status = try await runner.status(on: pool)
        logger.info("migrations current", metadata: ["applied_now": "\(applied)", "applied": "\(status.applied)"])
        print(applied.isEmpty ? "Database is up to date (\(status.applied.count) migrations)." : "Applied migrations \(applied.map(String.init).joined(separator: ", ")).")
    }
}
