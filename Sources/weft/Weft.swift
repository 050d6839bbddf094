import ArgumentParser
import Foundation
import Logging

/// The `weft` command line: serve, migrate, keys, demo.
@main
struct Weft: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Cross-factory capacity scheduling server.",
        discussion: """
            Configuration comes from the environment, and flags override it:
              DATABASE_URL      libpq connection string or URI (default: libpq's own defaults, PGHOST etc.)
              WEFT_HOST         address to listen on (default 127.0.0.1)
              WEFT_PORT         port to listen on (default 8080)
              WEFT_FREEZE_DAYS  allocations before as_of + this many days are pinned (default 1)
              WEFT_DB_POOL_SIZE database connections per process (default 10)
              WEFT_LOG_LEVEL    trace, debug, info, notice, warning, error or critical (default info)
              WEFT_RATE_LIMIT_PER_SECOND  requests per second per API key; 0 or unset: unlimited
              WEFT_RATE_LIMIT_BURST       requests a key may make at once (default twice the rate)
              WEFT_RATE_LIMIT_ADMINS      1: limit admin keys too (default: admins are not limited)
              WEFT_RUN_INTERVAL           seconds between automatic schedule runs of every capability; unset: never
              See docs/operations.md for every setting.
            """,
        subcommands: [Serve.self, Migrate.self, Keys.self, Demo.self]
    )
}

/// Options shared by every command that talks to the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection string or URI (env DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("pool-size"), help: "Database connections to keep at most (env WEFT_DB_POOL_SIZE, default 10).")
    var poolSize: Int?

    @Option(name: .customLong("log-level"), help: "Log level (env WEFT_LOG_LEVEL, default info).")
    var logLevel: String?

    var resolvedURL: String { databaseURL ?? Environment.string("DATABASE_URL") ?? "" }
    var resolvedPoolSize: Int { poolSize ?? Environment.int("WEFT_DB_POOL_SIZE") ?? 10 }

    func validate() throws {
        if let poolSize, !(1...500).contains(poolSize) { throw ValidationError("--pool-size must be between 1 and 500") }
        if let level = logLevel, Logger.Level(rawValue: level) == nil {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// Sets up swift-log once for the process.
    func bootstrapLogging() -> Logger {
        let level = logLevel.flatMap(Logger.Level.init(rawValue:))
            ?? Environment.string("WEFT_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "weft")
    }
}

enum Environment {
    static func string(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    static func int(_ name: String) -> Int? { string(name).flatMap(Int.init) }
}
