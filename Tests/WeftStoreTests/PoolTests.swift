import Foundation
import Synchronization
import Testing
import WeftTestSupport
@testable import WeftStore

@Suite("Connection pool and transactions against PostgreSQL")
struct PoolTests {
    @Test func rollbackOnError() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.transaction { connection in
                try connection.query("INSERT INTO brokers (name) VALUES ($1)", "kept?")
                throw Boom()
            }
        }
        #expect(try await pool.query("SELECT count(*) FROM brokers")[0].decode(Int.self, 0) == 0)
        // The connection went back clean and is usable.
        let inserted = try await pool.transaction { try $0.query("INSERT INTO brokers (name) VALUES ('ok')").affectedRows }
        #expect(inserted == 1)
    }

    @Test func serializationFailureIsRetried() async throws {
        let (pool, url) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        try await pool.query("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)")
        try await pool.query("INSERT INTO counter VALUES (1, 0)")
        let attempts = Mutex(0)
        try await pool.transaction(.repeatableRead) { connection in
            let attempt = attempts.withLock { $0 += 1; return $0 }
            _ = try connection.query("SELECT n FROM counter WHERE id = 1")
            if attempt == 1 {
                // Another session commits a change to the row this snapshot has already seen.
                let other = try PostgresConnection.connect(url)
                try other.query("UPDATE counter SET n = n + 1 WHERE id = 1")
            }
            try connection.query("UPDATE counter SET n = n + 10 WHERE id = 1")
        }
        #expect(attempts.withLock { $0 } == 2)
        #expect(try await pool.query("SELECT n FROM counter")[0].decode(Int.self, 0) == 11)
    }

    @Test func droppedConnectionIsReplaced() async throws {
        let (pool, url) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        let killer = try PostgresConnection.connect(url)
        let firstPID = try await pool.withConnection { $0.backendPID }
        try killer.query("SELECT pg_terminate_backend($1)", firstPID)
        // The caller that holds the dead connection sees one error...
        await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        // ...and the next caller gets a fresh connection.
        let secondPID = try await pool.withConnection { $0.backendPID }
        #expect(secondPID != firstPID)
        #expect(try await pool.query("SELECT 41 + 1")[0].decode(Int.self, 0) == 42)

        // Transactions are re-run on a fresh connection when the old one died before COMMIT.
        try killer.query("SELECT pg_terminate_backend($1)", secondPID)
        let value = try await pool.transaction { try $0.query("SELECT 7")[0].decode(Int.self, 0) }
        #expect(value == 7)
        #expect(pool.usage.open == 1)
    }

    @Test func exhaustedPoolWaitsInsteadOfFailing() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<8 {
                group.addTask { try await pool.withConnection { connection in
                    _ = try connection.query("SELECT pg_sleep(0.05)")
                    return connection.backendPID
                } }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count <= 2)
        #expect(pool.usage.open <= 2)
        #expect(pool.usage.waiting == 0)
    }

    @Test func leaseTimesOutWhenAllConnectionsStayBusy() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1, leaseTimeout: .milliseconds(200))
        defer { pool.close() }
        async let slow: Void = pool.withConnection { _ = try $0.query("SELECT pg_sleep(2)") }
        // Wait until the slow query really holds the only connection (the machine may be busy).
        while pool.usage.inUse == 0 { try await Task.sleep(for: .milliseconds(10)) }
        do {
            try await pool.query("SELECT 1")
            Issue.record("expected a pool timeout")
        } catch let error as PostgresError {
            #expect(error.kind == .poolTimeout)
            #expect(error.isUnavailable)
        }
        try await slow
    }

    /// Lease deadlines share one sweep: waiters served in time are not failed when their
    /// deadline passes, and a waiter that comes after them still times out (the sweep moves on
    /// to the next deadline).
    @Test func servedWaitersAreNotTimedOutAndLaterOnesStillAre() async throws {
        // A wait generous enough for a loaded machine to serve the queue below within it.
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1, leaseTimeout: .seconds(5))
        defer { pool.close() }
        // Eight callers queue for the one connection; each is served long before 5 s.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { try await pool.query("SELECT 1") } }
            try await group.waitForAll()
        }
        // Their deadlines pass while the connection is busy; then one more caller waits in vain.
        async let slow: Void = pool.withConnection { _ = try $0.query("SELECT pg_sleep(12)") }
        while pool.usage.inUse == 0 { try await Task.sleep(for: .milliseconds(10)) }
        do {
            try await pool.query("SELECT 1")
            Issue.record("expected a pool timeout")
        } catch let error as PostgresError {
            #expect(error.kind == .poolTimeout)
        }
        try await slow
        #expect(try await pool.query("SELECT 1")[0].decode(Int.self, 0) == 1)
    }

    @Test func leaseDeadlinesLeaveInOrder() {
        var deadlines = LeaseDeadlines()
        let start = ContinuousClock.now
        for waiter in 0..<3000 { deadlines.append(waiter, start + .milliseconds(waiter)) }
        #expect(deadlines.removeExpired(now: start - .milliseconds(1)).isEmpty)
        #expect(deadlines.removeExpired(now: start + .milliseconds(1999)) == Array(0..<2000))
        #expect(deadlines.first == start + .milliseconds(2000))
        #expect(deadlines.removeExpired(now: start + .seconds(10)) == Array(2000..<3000))
        #expect(deadlines.first == nil)
    }

    @Test func unreachableDatabaseFailsFast() async throws {
        // A long connect timeout and a long lease wait: the caller gets the refusal itself
        // (a connection error saying so), not the end of either wait (a timeout error).
        let pool = PostgresPool(configuration: .init(connectionString: "postgresql://nobody@127.0.0.1:1/none", maxConnections: 2,
                                                     connectTimeoutSeconds: 60, leaseTimeout: .seconds(120)))
        defer { pool.close() }
        do {
            try await pool.query("SELECT 1")
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.isUnavailable)
            #expect(error.message.lowercased().contains("refused"), "\(error.message)")
            #expect(!error.message.lowercased().contains("timeout"), "\(error.message)")
        }
    }

    @Test func serverErrorsCarrySQLState() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        do {
            try await pool.query("INSERT INTO brokers (name) VALUES ($1)", "")
            Issue.record("expected a check violation")
        } catch let error as PostgresError {
            #expect(error.kind == .server)
            #expect(error.sqlState == PostgresError.checkViolation)
            #expect(error.constraint == "brokers_name_check")
            #expect(!error.isUnavailable)
        }
    }
}
