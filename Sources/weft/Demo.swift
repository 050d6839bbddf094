import ArgumentParser
import Foundation
import Logging
import WeftAPI
import WeftStore

/// `weft demo`: fill the database with a demo network and say how to look at it.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a realistic demo network (factories, capacity, brokers, orders, a run) and print how to look at it.",
        discussion: """
            Applies pending migrations first. Issues an admin key for the dashboard and prints its
            secret as the last line of stdout. Meant for a private development database.
            """)

    @OptionGroup var database: DatabaseOptions

    @Flag(name: .customLong("if-empty"), help: "Do nothing when the database already has factories.")
    var ifEmpty = false

    @Option(help: "Seed of the generator: the same seed on the same day gives the same network.")
    var seed: UInt64 = 20_261_122

    @Option(help: "How many orders to submit.")
    var orders: Int = 320

    func validate() throws {
        if !(1...5_000).contains(orders) { throw ValidationError("--orders must be between 1 and 5000") }
    }

    func run() async throws {
        let settings = try database.settings()
        let logger = database.bootstrapLogging(settings)
        let pool = PostgresPool(configuration: .init(connectionString: settings.databaseURL, maxConnections: 4), logger: Logger(label: "weft.store"))
        defer { pool.close() }
        let migrations = MigrationRunner(migrations: try MigrationRunner.bundled(), logger: Logger(label: "weft.migrations"))
        try await migrations.migrate(on: pool)
        let app = WeftApp(context: AppContext(pool: pool, migrations: migrations,
                                              configuration: AppConfiguration(freezeDays: settings.freezeDays,
                                                                              mipSolver: MIPWorker.solver(settings.mipWorker, logger: logger)),
                                              logger: logger))
        let (host, port) = (settings.host, settings.port)
        let dashboard = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/dashboard"
        let summary = try await DemoLoader(app: app).load(seed: seed, ifEmpty: ifEmpty, orderCount: orders)
        if summary.skipped {
            print("The database already has \(summary.existingFactories) factories; the demo was not loaded.")
            print("Dashboard: \(dashboard) (sign in with an admin key: weft keys create --role admin)")
            return
        }
        let statuses = ["scheduled", "partial", "unscheduled", "cancelled"].map { "\(summary.orders[$0] ?? 0) \($0)" }.joined(separator: ", ")
        print("Loaded the demo network in \(String(format: "%.1f", summary.seconds)) s:")
        print("  \(summary.factories) factories in \(summary.regions) regions, \(summary.capabilities) capabilities, \(summary.slots) capacity slots over 30 days")
        print("  \(summary.brokers) brokers, \(summary.orders.values.reduce(0, +)) orders (\(statuses)), \(summary.allocations) allocations")
        print("  \(summary.pooledOrders) orders in pools; \(summary.sharedBatchGroups) batches shared by two or more orders (dashboard: Batches)")
        if !summary.runs.isEmpty {
            print("  schedule runs: \(summary.runs.map { "\($0.id) \($0.status)" }.joined(separator: ", "))")
        } else {
            print("  no schedule run: this build has no /v1/schedule-runs")
        }
        print("Dashboard: \(dashboard) — sign in with this admin key (shown only now):")
        print(summary.adminKey ?? "")
    }
}
