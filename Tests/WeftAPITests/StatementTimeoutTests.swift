import Foundation
import Logging
import Testing
import WeftAPI
import WeftStore
import WeftTestSupport

@Suite("A slow statement answers 503 and frees its connection")
struct StatementTimeoutTests {
    @Test func aRequestStuckOnALockIsCutOffAndThePoolRecovers() async throws {
        let (migrated, url) = try await TestDatabase.migratedPool()
        migrated.close()
        var logger = Logger(label: "weft.test.api")
        logger.logLevel = .critical
        // A limit far above what the request's other statements take on a loaded machine.
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 2, requestStatementTimeout: .seconds(2),
                                                     longStatementTimeout: .seconds(60)), logger: logger)
        let app = WeftApp(context: AppContext(pool: pool, migrations: MigrationRunner(migrations: try MigrationRunner.bundled()),
                                              configuration: AppConfiguration(), logger: logger))
        let server = try await TestServer.serve(app, databaseURL: url, logger: logger)
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        #expect(try await client.send("POST", "/v1/brokers", headers: ["Authorization": "Bearer \(admin)"], json: #"{"name":"B"}"#).status == 201)

        // Another session holds the brokers table: reading it waits, as behind any slow statement.
        let blocker = try await offCooperativePool { try PostgresConnection.connect(url) }
        try await offCooperativePool { try blocker.execute("BEGIN; LOCK TABLE brokers IN ACCESS EXCLUSIVE MODE") }
        for _ in 0..<3 {  // more than the pool has connections
            let stuck = try await client.send("GET", "/v1/brokers", headers: ["Authorization": "Bearer \(admin)"])
            #expect(stuck.status == 503)
            #expect(stuck.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(stuck.header("Retry-After") == "1")
            #expect(stuck.text.contains("time limit"))
        }
        try await offCooperativePool { try blocker.execute("ROLLBACK") }

        // The pool recovered: every request succeeds, no connection is left in use or waiting
        // on the server.
        for _ in 0..<5 {
            let listed = try await client.send("GET", "/v1/brokers", headers: ["Authorization": "Bearer \(admin)"])
            #expect(listed.status == 200)
            #expect((listed.json["items"] as? [Any])?.count == 1)
        }
        // (Bounded wait: a request whose cached API key is due for a refresh reads it again in
        // the background, which holds a connection for a moment after the response was sent.)
        #expect(await TestDatabase.eventually { pool.usage.inUse == 0 })
        #expect(pool.usage.open <= 2)
        let waiting = try await offCooperativePool {
            try blocker.query("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
                """)[0].decode(Int.self, 0)
        }
        #expect(waiting == 0)
        try await server.stop()
    }

    @Test func aClientThatGoesAwayCancelsItsStatement() async throws {
        let (migrated, url) = try await TestDatabase.migratedPool()
        migrated.close()
        var logger = Logger(label: "weft.test.api")
        logger.logLevel = .critical
        // No time limit at all: only the client's leaving can stop the statement.
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 2), logger: logger)
        let app = WeftApp(context: AppContext(pool: pool, migrations: MigrationRunner(migrations: try MigrationRunner.bundled()),
                                              configuration: AppConfiguration(), logger: logger))
        let server = try await TestServer.serve(app, databaseURL: url, logger: logger)
        let admin = try await server.issueKey(role: .admin)
        let blocker = try await offCooperativePool { try PostgresConnection.connect(url) }
        @Sendable func waitingOnLocks() async throws -> Int {
            try await offCooperativePool {
                try blocker.query("""
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """)[0].decode(Int.self, 0)
            }
        }
        try await offCooperativePool { try blocker.execute("BEGIN; LOCK TABLE brokers IN ACCESS EXCLUSIVE MODE") }
        let leaving = try server.client()
        try await leaving.writeRaw(Array("GET /v1/brokers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin)\r\n\r\n".utf8))
        // (Bounded, so a request that never reaches the lock fails the test instead of hanging it.)
        try #require(try await TestDatabase.eventually(rounds: 2_500) { try await waitingOnLocks() > 0 },
                     "the request's statement never waited on the lock")
        await leaving.abort()
        // The request's statement stops though the lock is still held (bounded wait, not a timing claim).
        var rounds = 0
        while try await waitingOnLocks() > 0, rounds < 500 {
            try await Task.sleep(for: .milliseconds(20))
            rounds += 1
        }
        #expect(try await waitingOnLocks() == 0)
        try await offCooperativePool { try blocker.execute("ROLLBACK") }
        #expect(try await server.client().send("GET", "/v1/brokers", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        #expect(await TestDatabase.eventually { pool.usage.inUse == 0 })  // (the key refresh, as above)
        try await server.stop()
    }
}
