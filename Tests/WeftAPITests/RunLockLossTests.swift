import Foundation
import Synchronization
import Testing
import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// A run whose lock session dies (the database restarted, its backend was terminated) no
/// longer owns its capabilities: another process may mark it failed and re-plan them. Such a
/// run must write nothing. The loss is simulated by terminating the lock session's backend
/// while the run is held just before its write.
@Suite("Schedule runs that lost their locks write nothing")
struct RunLockLossTests {
    /// The backend holding `capability`'s run lock in this test's database.
    static func lockHolder(_ pool: PostgresPool, _ capability: String) async throws -> Int32 {
        let rows = try await pool.query("""
            SELECT pid FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 2
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid::int8 = $1 AND objid::int8 = $2
            """, Int64(UInt32(bitPattern: RunLockSession.namespace)), Int64(UInt32(bitPattern: RunLockSession.capabilityKey(capability))))
        return try #require(try rows.first?.decode(Int32.self, 0))
    }

    /// Ends a backend and waits until it (and so every lock it held) is gone.
    static func terminate(_ pool: PostgresPool, _ pid: Int32) async throws {
        #expect(try await pool.query("SELECT pg_terminate_backend($1)", pid)[0].decode(Bool.self, 0))
        for _ in 0..<200 {
            if try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)[0].decode(Int.self, 0) == 0 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("backend \(pid) still there")
    }

    /// A server whose first pcb.fab run is held before its write until `release` opens.
    struct Held {
        let server: RunServer
        let key: String
        let order: UUID
        let first: String
        let release: Latch
        var firstID: UUID { UUID(uuidString: first)! }

        static func start() async throws -> Held {
            let server = try await RunServer.start()
            _ = try await RunLockTests.network(server.pool)
            let key = try await server.issueKey(role: .admin)
            let order = try await server.pool.query("SELECT id FROM orders WHERE capability = 'pcb.fab'")[0].decode(UUID.self, 0)
            let release = Latch(), arrived = Latch(), taken = Mutex(false)
            server.gate.set { _, capability, _ in
                guard capability == "pcb.fab", taken.withLock({ taken in
                    defer { taken = true }
                    return !taken
                }) else { return }
                arrived.open()
                await release.wait()
            }
            let response = try await server.post(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
            #expect(response.status == 202, "\(response.text)")
            await arrived.wait()
            return Held(server: server, key: key, order: order, first: try #require(response.json["id"] as? String), release: release)
        }

        /// Lets the first run go on and checks it ended failed, having written nothing.
        func finishFirst(error expected: String = "lost its locks") async throws {
            release.open()
            // Its row may read failed before the job ends (found abandoned): wait for the job.
            await server.runs.waitForRuns()
            let done = try await server.finished(key, first)
            #expect(done["status"] as? String == "failed", "\(done)")
            #expect((done["error"] as? String)?.contains(expected) == true, "\(done)")
            if expected == "lost its locks" {
                #expect(done.result("pcb.fab")?["outcome"] as? String == "failed", "\(done)")
                #expect((done.result("pcb.fab")?["note"] as? String)?.contains("nothing was written") == true, "\(done)")
            }
            #expect(try await server.pool.query("SELECT count(*) FROM allocations WHERE run_id = $1", firstID)[0].decode(Int.self, 0) == 0)
        }
    }

    @Test func aRunWhoseLockSessionDiedWritesNothingAndSaysSo() async throws {
        let held = try await Held.start()
        let pool = held.server.pool
        let before = try await RunSeed.allocations(pool)
        try await Self.terminate(pool, try await Self.lockHolder(pool, "pcb.fab"))
        try await held.finishFirst()
        let done = try await held.server.finished(held.key, held.first)
        #expect(done["error"] as? String == "lost its locks (the database restarted or its lock session ended); nothing written")
        #expect(try await RunSeed.allocations(pool) == before)
        // The capability is free: the next run re-plans it.
        let next = try await held.server.run(held.key, #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(next["status"] as? String == "succeeded", "\(next)")
        #expect(next.result("pcb.fab")?["outcome"] as? String == "written")
        try await Invariants.check(pool)
        try await held.server.stop()
    }

    @Test func anotherRunTakesOverTheCapabilityAndTheFirstOneNeverWrites() async throws {
        let held = try await Held.start()
        let pool = held.server.pool
        try await Self.terminate(pool, try await Self.lockHolder(pool, "pcb.fab"))
        // Like another process after a database restart: the first run reads as abandoned and
        // a second run of its capability starts and writes.
        let second = try await held.server.run(held.key, #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(second["status"] as? String == "succeeded", "\(second)")
        #expect(second.result("pcb.fab")?["outcome"] as? String == "written")
        let secondID = try #require(UUID(uuidString: second["id"] as? String ?? ""))
        let written = try await RunSeed.allocations(pool)
        #expect(try await pool.query("SELECT count(*) FROM allocations WHERE run_id = $1", secondID)[0].decode(Int.self, 0) > 0)
        // The first run, let go, writes nothing and replaces "server process stopped" by its own account.
        try await held.finishFirst()
        #expect(try await RunSeed.allocations(pool) == written)
        try await Invariants.check(pool)
        try await held.server.stop()
    }

    @Test func aRunMarkedFailedMeanwhileWritesNothing() async throws {
        let held = try await Held.start()
        let pool = held.server.pool
        let before = try await RunSeed.allocations(pool)
        // Its lock session is alive, but its row was finished by someone else: not its to write.
        _ = try await pool.query("UPDATE schedule_runs SET status = 'failed', error = 'stopped by hand', finished_at = now() WHERE id = $1", held.firstID)
        try await held.finishFirst(error: "stopped by hand")
        #expect(try await RunSeed.allocations(pool) == before)
        try await held.server.stop()
    }

    @Test func aSessionDyingDuringAWriteKeepsTheCapabilityBusyUntilTheWriteEnds() async throws {
        let held = try await Held.start()
        let pool = held.server.pool
        let pid = try await Self.lockHolder(pool, "pcb.fab")
        // The first run's write transaction, proven to own the capability, then its session dies.
        let writer = try PostgresConnection.connect(pool.configuration.connectionString)
        try writer.execute("BEGIN")
        try RunRecords.claimWrite(on: writer, run: held.firstID, lockHolder: pid, capabilities: ["pcb.fab"])
        try await Self.terminate(pool, pid)
        // The capability's lock is free, yet a new run must wait for that write to end.
        let refused = try await held.server.post(held.key, #"{"capabilities":["pcb.fab"],"dry_run":true,"if_busy":"refuse"}"#)
        #expect(refused.status == 409, "\(refused.text)")
        #expect((refused.json["detail"] as? String)?.contains(held.first) == true)
        #expect(try await pool.query("SELECT status FROM schedule_runs WHERE id = $1", held.firstID)[0].decode(String.self, 0) == "running")
        // A second claim by the dead session's run fails.
        let other = try PostgresConnection.connect(pool.configuration.connectionString)
        try other.execute("BEGIN")
        #expect(throws: RunRecords.LocksLost.sessionEnded) {
            try RunRecords.claimWrite(on: other, run: held.firstID, lockHolder: pid, capabilities: ["pcb.fab"])
        }
        try other.execute("ROLLBACK")
        try writer.execute("ROLLBACK")
        let next = try await held.server.run(held.key, #"{"capabilities":["pcb.fab"],"dry_run":true,"time_limit_ms":100}"#)
        #expect(next["status"] as? String == "succeeded", "\(next)")
        try await held.finishFirst()
        try await held.server.stop()
    }
}
