import Foundation
import Logging
import WeftStore

/// Gives each test suite its own fresh database in the cluster named by
/// `WEFT_TEST_DATABASE_URL` (scripts/test starts a private one and sets it).
public enum TestDatabase {
    /// The server-level URL tests create their databases from.
    public static var adminURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["WEFT_TEST_DATABASE_URL"], !url.isEmpty else {
                throw TestDatabaseError.notConfigured
            }
            return url
        }
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
