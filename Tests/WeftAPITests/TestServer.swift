import Foundation
import Logging
import ServiceLifecycle
import WeftAPI
import WeftHTTP
import WeftStore
import WeftTestSupport

/// A real Weft server on a free port over a fresh database, for end-to-end tests.
struct TestServer {
    let port: Int
    let pool: PostgresPool
    let databaseURL: String
    let app: WeftApp
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func start(migrated: Bool = true, http: HTTPServerConfiguration = HTTPServerConfiguration(),
                      configuration: AppConfiguration = AppConfiguration()) async throws -> TestServer {
        var logger = Logger(label: "weft.test.api")
        logger.logLevel = .warning
        let pool: PostgresPool
        let url: String
        if migrated {
            (pool, url) = try await TestDatabase.migratedPool()
        } else {
            url = try TestDatabase.createDatabase()
            pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 4), logger: logger)
        }
        let app = WeftApp(context: AppContext(
            pool: pool, migrations: MigrationRunner(migrations: try MigrationRunner.bundled(), logger: logger),
            configuration: configuration, logger: logger))
        return try await serve(app, databaseURL: url, http: http, logger: logger)
    }

    /// Serves `app` (built by the caller, over its own pool) on a free port.
    static func serve(_ app: WeftApp, databaseURL: String, http: HTTPServerConfiguration = HTTPServerConfiguration(),
                      logger: Logger) async throws -> TestServer {
        var configuration = http
        configuration.port = 0
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = HTTPServer(configuration: configuration, responder: app.responder, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let group = ServiceGroup(services: [server], logger: logger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestServerError.didNotStart }
        return TestServer(port: port, pool: app.context.pool, databaseURL: databaseURL, app: app, group: group, task: task)
    }

    func client() throws -> TestHTTPClient { try TestHTTPClient(port: port) }

    /// Issues a key straight through the store, returning its secret.
    func issueKey(role: Role, factoryID: UUID? = nil, brokerID: UUID? = nil) async throws -> String {
        let secret = try APIKeySecret.generate()
        _ = try await pool.transaction { connection in
            try APIKeyRecords.insert(on: connection, role: role.rawValue, factoryID: factoryID, brokerID: brokerID,
                                     label: "test", prefix: secret.prefix, digest: secret.digest)
        }
        return secret.text
    }

    func stop() async throws {
        try await stopServing()
        pool.close()
    }

    /// Stops the server but leaves its pool open (for a second server over the same pool).
    func stopServing() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

enum TestServerError: Error { case didNotStart }
