import Foundation
import Testing
import WeftTestSupport
@testable import WeftStore

/// Statements sent together in one round trip (libpq pipeline mode).
@Suite("Pipelined statements")
struct PipelineTests {
    @Test func resultsComeBackInOrderAndTheConnectionStaysUsable() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        let (values, pid, after, broken) = try await pool.withConnection { connection in
            let results = try connection.pipeline([
                .init("SELECT $1::int8 + 1", Int64(41)),
                .init("SELECT g FROM generate_series(1, $1::int4) g", 3),
                .init("SELECT 'x' WHERE false"),
            ])
            let values = [try results[0][0].decode(Int.self, 0)] + (try results[1].map { try $0.decode(Int.self, 0) }) + [results[2].count]
            // The same statements again (now prepared), then a plain query.
            _ = try connection.pipeline([.init("SELECT $1::int8 + 1", Int64(1))])
            return (values, connection.backendPID, try connection.query("SELECT 7")[0].decode(Int.self, 0), connection.isBroken)
        }
        #expect(values == [42, 1, 2, 3, 0])
        #expect(after == 7 && !broken)
        // The connection went back to the pool in normal mode and serves the next caller.
        #expect(try await pool.withConnection { $0.backendPID } == pid)
    }

    @Test func aFailureThrowsTheFirstErrorAndSkipsTheRest() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        try await pool.query("CREATE TABLE pipeline_probe (n int)")
        let pid = try await pool.withConnection { $0.backendPID }
        await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                do {
                    _ = try connection.pipeline([
                        .init("INSERT INTO pipeline_probe VALUES (1)"),
                        .init("SELECT 1 / $1::int4", 0),
                        .init("INSERT INTO pipeline_probe VALUES (3)"),
                    ])
                } catch let error as PostgresError {
                    #expect(error.sqlState == "22012")  // division_by_zero: the first error, not a skipped statement's
                    #expect(!connection.isBroken && connection.isIdle)
                    throw error
                }
            }
        }
        // One implicit transaction: the insert before the failure is rolled back, the one after never ran.
        #expect(try await pool.query("SELECT count(*) FROM pipeline_probe")[0].decode(Int.self, 0) == 0)
        // And the connection was kept: the pool did not replace it.
        #expect(try await pool.withConnection { $0.backendPID } == pid)
    }
}
