import Foundation
import Logging
import WeftStore

/// Gives each test suite its own fresh database in the cluster named by
/// `WEFT_TEST_DATABASE_URL` (scripts/test starts a private one and sets it).
public enum TestDatabase {
    /// The server-level URL tests create their databases from. Unless it sets its own, it gets
    /// a connect timeout of 60 s, and so does every URL derived from it: the whole suite opens
    /// its connections at once, and on two loaded cores PostgreSQL took over libpq's usual 5 s
    /// to start some of the sessions (a CI rehearsal failed four tests that way). How fast a
    /// connection opens is for benchmarks; the tests check what happens once it is open.
    public static var adminURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["WEFT_TEST_DATABASE_URL"], !url.isEmpty else {
                throw TestDatabaseError.notConfigured
            }
            return withConnectTimeout(url, seconds: 60)
        }
    }

    /// `url` with `connect_timeout` set, unless it already has one.
    static func withConnectTimeout(_ url: String, seconds: Int) -> String {
        guard !url.contains("connect_timeout") else { return url }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "connect_timeout=\(seconds)"
        }
        return url + " connect_timeout=\(seconds)"
    }

    /// A new empty database; returns its connection string.
    public static func createDatabase(prefix: String = "weft_test") throws -> String {
        let admin = try adminURL
        let name = "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        let connection = try PostgresConnection.connect(admin)
        try connection.execute("CREATE DATABASE \(name)")
        return url(admin, database: name)
    }

    /// A pool on a new database with every migration applied.
    public static func migratedPool(maxConnections: Int = 8, leaseTimeout: Duration = .seconds(10)) async throws -> (pool: PostgresPool, url: String) {
        // CREATE DATABASE blocks for seconds when many suites start at once: not on a cooperative thread.
        let url = try await offCooperativePool { try createDatabase() }
        var logger = Logger(label: "weft.test.store")
        logger.logLevel = .warning
        // Migrated through a pool of its own: a test's short lease timeout is for its own calls,
        // not for opening the first connection on a loaded machine.
        let migrator = PostgresPool(configuration: .init(connectionString: url, maxConnections: 1), logger: logger)
        defer { migrator.close() }
        try await MigrationRunner(migrations: try MigrationRunner.bundled(), logger: logger).migrate(on: migrator)
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: maxConnections, leaseTimeout: leaseTimeout), logger: logger)
        return (pool, url)
    }

    /// Sessions on the database of `url` other than the one asking, right now.
    public static func sessions(_ url: String) async throws -> Int {
        try await offCooperativePool {
            let connection = try PostgresConnection.connect(url)
            return try connection.query("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                """)[0].decode(Int.self, 0)
        }
    }

    /// Waits until `condition` holds, looking every 20 ms, at most `rounds` times: a guard
    /// against a hang, not a timing claim. Returns whether it held.
    public static func eventually(rounds: Int = 1_000, _ condition: () async throws -> Bool) async rethrows -> Bool {
        for _ in 0..<rounds {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// Waits until `condition` holds, looking every 20 ms, for at most `limit`, and looks once
    /// more after it: a guard against a hang, not a timing claim. However long this task was not
    /// scheduled, the condition is checked after that. Returns whether it held.
    public static func eventually(within limit: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// The same server, another database: works for URIs and key=value strings.
    public static func url(_ base: String, database: String) -> String {
        if base.hasPrefix("postgres://") || base.hasPrefix("postgresql://"), var components = URLComponents(string: base) {
            components.path = "/" + database
            return components.string ?? base
        }
        return base + " dbname=\(database)"
    }
}

public enum TestDatabaseError: Error, CustomStringConvertible {
    case notConfigured
    public var description: String {
        "WEFT_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a private PostgreSQL, or point it at a server where you may create databases"
    }
}
