import Foundation
import Testing
import WeftTestSupport
@testable import WeftStore

@Suite("Statement time limits and cancellation")
struct StatementLimitTests {
    func pool(_ url: String, request: Duration?, long: Duration?) -> PostgresPool {
        PostgresPool(configuration: .init(connectionString: url, maxConnections: 2, requestStatementTimeout: request, longStatementTimeout: long))
    }

    /// Statements of this database's `pg_sleep` calls still running on the server.
    func sleepers(_ url: String) async throws -> Int {
        try await offCooperativePool {
            let connection = try PostgresConnection.connect(url)
            return try connection.query("""
                SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg_sleep%'
                """)[0].decode(Int.self, 0)
        }
    }

    @Test func aSlowStatementIsCutOffAndThePoolRecovers() async throws {
        let url = try await offCooperativePool { try TestDatabase.createDatabase() }
        // Limits far above what a trivial statement takes on a loaded machine, far below the sleep.
        let pool = pool(url, request: .seconds(2), long: .seconds(60))
        defer { pool.close() }
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(30)") }
        #expect(error?.isQueryCanceled == true)
        #expect(error?.isUnavailable == false)
        // The connection came back clean and serves the next statements; nothing is leaked.
        for _ in 0..<3 { #expect(try await pool.query("SELECT 1")[0].decode(Int.self, 0) == 1) }
        #expect(pool.usage.inUse == 0)
        #expect(pool.usage.open <= 2)
        #expect(try await sleepers(url) == 0)
        // Inside a transaction too: rolled back, and the connection is reused.
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { connection in
                try connection.query("CREATE TABLE t (a int)")
                try connection.query("SELECT pg_sleep(30)")
            }
        }
        #expect(try await pool.query("SELECT to_regclass('t') IS NULL")[0].decode(Bool.self, 0))
        #expect(pool.usage.inUse == 0)
    }

    @Test func runsAndReportsGetTheLongLimit() async throws {
        let url = try await offCooperativePool { try TestDatabase.createDatabase() }
        let pool = pool(url, request: .seconds(2), long: .seconds(60))
        defer { pool.close() }
        // Longer than the request limit: only the long one lets it finish.
        let slept = try await StatementBudget.$current.withValue(.long) {
            try await pool.query("SELECT pg_sleep(3), current_setting('statement_timeout')")[0].decode(String.self, 1)
        }
        #expect(slept == "1min")
        // Back on the request budget, the same connection gets the tight limit again.
        #expect(try await pool.query("SELECT current_setting('statement_timeout')")[0].decode(String.self, 0) == "2s")
        let unlimited = try await StatementBudget.$current.withValue(.unlimited) {
            try await pool.query("SELECT current_setting('statement_timeout')")[0].decode(String.self, 0)
        }
        #expect(unlimited == "0")
    }

    @Test func cancellingTheCallerCancelsItsStatement() async throws {
        let url = try await offCooperativePool { try TestDatabase.createDatabase() }
        // The lease may wait as long as opening the first connection may take (the test URL's
        // connect_timeout is 60 s): on a loaded machine opening it outlasted the 10 s default.
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 2, leaseTimeout: .seconds(120)))
        defer { pool.close() }
        // The statement never ends on its own while this test runs: the pool starts it on its
        // own thread without waiting for this task, so it runs however long this test's task
        // waits for a cooperative thread (a CI rehearsal with solver tests holding both saw a
        // 60 s sleep start and end unseen). The test holds the state it looks for.
        let slow = Task { try await pool.query("SELECT pg_sleep(3600)") }
        defer { slow.cancel() }
        // Wait until the statement runs on the server, then go away (bounded; looked at once
        // more after the bound, however late).
        let running = try await TestDatabase.eventually(within: .seconds(300)) { try await sleepers(url) > 0 }
        guard running else {
            slow.cancel()
            Issue.record("the statement never showed up in pg_stat_activity; the call ended with \(await slow.result)")
            return
        }
        slow.cancel()
        let outcome = await slow.result
        guard case .failure(let error as PostgresError) = outcome else {
            Issue.record("the statement was not cancelled: \(outcome)")
            return
        }
        #expect(error.isQueryCanceled)
        #expect(try await sleepers(url) == 0)
        #expect(pool.usage.inUse == 0)
        #expect(try await pool.query("SELECT 2")[0].decode(Int.self, 0) == 2)
    }
}
