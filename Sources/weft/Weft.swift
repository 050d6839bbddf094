import ArgumentParser
import Foundation
import Logging
import WeftAPI
import WeftHTTP

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
              WEFT_PORT         port to listen on, 0 to 65535 (default 8080)
              WEFT_FREEZE_DAYS  allocations before as_of + this many days are pinned, 0 to 365 (default 1)
              WEFT_DB_POOL_SIZE database connections per process, 1 to 500 (default 10)
              WEFT_LOG_LEVEL    trace, debug, info, notice, warning, error or critical (default info)
              WEFT_RATE_LIMIT_PER_SECOND  requests per second per API key, 0 to 1000000; 0 or unset: unlimited
              WEFT_RATE_LIMIT_BURST       requests a key may make at once, 1 to 1000000 (default twice the rate)
              WEFT_RATE_LIMIT_ADMINS      1/true/yes: limit admin keys too (default: admins are not limited)
              WEFT_RUN_INTERVAL           seconds between automatic schedule runs of every capability, 0 to 604800; unset or 0: never
              WEFT_DB_STATEMENT_TIMEOUT_MS        statement_timeout of requests, 0 to 86400000 ms; 0: none (default 15000)
              WEFT_DB_LONG_STATEMENT_TIMEOUT_MS   statement_timeout of runs and reports, 0 to 86400000 ms; 0: none (default 300000)
              WEFT_DB_MAX_CONNECTION_AGE_SECONDS  pooled connections are replaced this old, 0 to 604800; 0: never (default 1800)
              WEFT_DB_MAX_IDLE_SECONDS            idle pooled connections are closed after this, 0 to 604800; 0: never (default 300)
              WEFT_IDEMPOTENCY_TTL_SECONDS        how long an Idempotency-Key is remembered, 60 to 31536000 (default 86400)
              WEFT_MIP_WORKER                     the exact step's worker: off, or the path of an executable file (default: weft-mip-worker beside weft)
              A value outside its range stops every command at once: one line on stderr, exit status 64.
              See docs/operations.md for every setting.
            """,
        subcommands: [Serve.self, Migrate.self, Keys.self, Demo.self]
    )
}

/// Options shared by every command that talks to the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection string or URI (env DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("pool-size"), help: "Database connections to keep at most, 1 to 500 (env WEFT_DB_POOL_SIZE, default 10).")
    var poolSize: Int?

    @Option(name: .customLong("log-level"), help: "Log level (env WEFT_LOG_LEVEL, default info).")
    var logLevel: String?

    /// Every start-up setting from these flags, the command's own (`adding`) and the
    /// environment (``Settings``). A value out of range is one line on stderr and exit status
    /// 64, before anything else happens.
    func settings(adding more: (inout Settings.Flags) -> Void = { _ in }) throws -> Settings {
        var flags = Settings.Flags(databaseURL: databaseURL, poolSize: poolSize, logLevel: logLevel)
        more(&flags)
        do throws(SettingError) {
            return try Settings(flags: flags)
        } catch {
            FileHandle.standardError.write(Data("weft: \(error.description)\n".utf8))
            throw ExitCode(64)
        }
    }

    /// Sets up swift-log once for the process.
    func bootstrapLogging(_ settings: Settings) -> Logger {
        // Lines are formatted on the thread that logs and written by a background thread
        // (WeftHTTP's LogSink): no lock or system call per line; flushed at exit.
        LogSink.standardError.start()
        LoggingSystem.bootstrap { label in
            SinkLogHandler(label: label, sink: .standardError, logLevel: settings.logLevel)
        }
        return Logger(label: "weft")
    }
}
