import Foundation
import Synchronization
import Logging
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

@Suite("Schedule runs queue behind a busy capability")
struct RunQueueTests {
    /// Holds the first run to reach its write until `release` opens.
    static func holdFirst(_ gate: WriteGate) -> (arrived: Latch, release: Latch) {
        let arrived = Latch(), release = Latch(), first = Mutex<UUID?>(nil)
        gate.set { run, _, _ in
            let mine = first.withLock { held -> Bool in
                if held == nil { held = run }
                return held == run
            }
            guard mine else { return }
            arrived.open()
            await release.wait()
        }
        return (arrived, release)
    }

    static func status(_ pool: PostgresPool, _ id: String) async throws -> String {
        try await pool.query("SELECT status FROM schedule_runs WHERE id = $1", UUID(uuidString: id)!)[0].decode(String.self, 0)
    }

    @Test func aSecondRunWaitsAsQueuedThenRunsAfterTheFirst() async throws {
        let server = try await RunServer.start()
        _ = try await RunLockTests.network(server.pool)
        let key = try await server.issueKey(role: .admin)
        let (arrived, release) = Self.holdFirst(server.gate)
        let first = try await server.post(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(first.status == 202)
        let firstID = try #require(first.json["id"] as? String)
        await arrived.wait()

        let second = try await server.post(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(second.status == 202, "\(second.text)")
        #expect(second.json["status"] as? String == "queued")
        #expect(second.json["started_at"] is NSNull)
        let secondID = try #require(second.json["id"] as? String)
        #expect(second.header("Location") == "/v1/schedule-runs/\(secondID)")
        // Still queued while the first holds the capability, whoever asks.
        let polled = try await server.client().send("GET", "/v1/schedule-runs/\(secondID)", headers: ["Authorization": "Bearer \(key)"])
        #expect(polled.json["status"] as? String == "queued")
        let listed = try await server.client().send("GET", "/v1/schedule-runs?status=queued", headers: ["Authorization": "Bearer \(key)"])
        #expect((listed.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [secondID])
        // Asking to be refused instead: today's 409, and nothing stored.
        let refused = try await server.post(key, #"{"capabilities":["pcb.fab"],"if_busy":"refuse"}"#)
        #expect(refused.status == 409)
        #expect(refused.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        // A third asking to queue goes behind the second even once the capability is free.
        let third = try await server.post(key, #"{"capabilities":["pcb.fab"],"dry_run":true,"time_limit_ms":100}"#)
        #expect(third.json["status"] as? String == "queued")
        let thirdID = try #require(third.json["id"] as? String)
        #expect(try await server.pool.query("SELECT count(*) FROM schedule_runs")[0].decode(Int.self, 0) == 3)
        #expect(try await Self.status(server.pool, secondID) == "queued")

        release.open()
        let done = try await server.finished(key, firstID)
        #expect(done["status"] as? String == "succeeded", "\(done)")
        let after = try await server.finished(key, secondID)
        #expect(after["status"] as? String == "succeeded", "\(after)")
        let last = try await server.finished(key, thirdID)
        #expect(last["status"] as? String == "succeeded", "\(last)")
        // One after the other: each started only once the one before had finished.
        let ordered = try await server.pool.query("""
            SELECT (SELECT started_at FROM schedule_runs WHERE id = $2) >= (SELECT finished_at FROM schedule_runs WHERE id = $1)
               AND (SELECT started_at FROM schedule_runs WHERE id = $3) >= (SELECT finished_at FROM schedule_runs WHERE id = $2)
            """, UUID(uuidString: firstID)!, UUID(uuidString: secondID)!, UUID(uuidString: thirdID)!)[0].decode(Bool.self, 0)
        #expect(ordered)
        // The watcher queueing started ends once nothing is queued: it does not poll on.
        #expect(await TestDatabase.eventually { !server.runs.isWatchingQueue })
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func aRunQueuedBehindAnotherProcessStartsWhenThatProcessLetsGo() async throws {
        let server = try await RunServer.start()
        _ = try await RunLockTests.network(server.pool)
        let key = try await server.issueKey(role: .admin)
        // Another server process (a session of its own) holds the capability; no run of this
        // process will end to say when it is free, so only the watcher's looks can see it.
        let other = try await offCooperativePool { try PostgresConnection.connect(server.pool.configuration.connectionString) }
        try await offCooperativePool {
            try other.query("SELECT pg_advisory_lock($1, $2)", RunLockSession.namespace, RunLockSession.capabilityKey("pcb.fab"))
        }
        let queued = try await server.post(key, #"{"capabilities":["pcb.fab"],"dry_run":true,"time_limit_ms":100}"#)
        #expect(queued.status == 202)
        #expect(queued.json["status"] as? String == "queued")
        let id = try #require(queued.json["id"] as? String)
        #expect(server.runs.isWatchingQueue)
        // It stays queued while the other process holds the capability...
        #expect(try await Self.status(server.pool, id) == "queued")
        // ...and the other process ending its session frees it: the run starts and succeeds.
        try await offCooperativePool { try other.query("SELECT pg_advisory_unlock_all()") }
        let done = try await server.finished(key, id)
        #expect(done["status"] as? String == "succeeded", "\(done)")
        #expect(await TestDatabase.eventually { !server.runs.isWatchingQueue })
        try await server.stop()
    }

    @Test func theWatcherOfADroppedAppEndsAndLetsItsPoolAndSessionsGo() async throws {
        weak var droppedRuns: RunCoordinator?
        weak var droppedPool: PostgresPool?
        let url: String
        do {
            let (pool, databaseURL) = try await TestDatabase.migratedPool(maxConnections: 2)
            url = databaseURL
            var logger = Logger(label: "weft.test.runs")
            logger.logLevel = .critical
            let runs = RunCoordinator(pool: pool, configuration: AppConfiguration(), logger: logger)
            droppedRuns = runs
            droppedPool = pool
            // As `weft serve` does: a watcher for good, looking every few seconds.
            runs.watchQueue()
            #expect(runs.isWatchingQueue)
            // Its first look leased a connection and gave it back.
            #expect(await TestDatabase.eventually { pool.usage.open == 1 && pool.usage.inUse == 0 })
        }
        // Nobody holds the app now (no shutdown, no close, as a test that forgets to stop):
        // the watcher does not keep it, or its pool and session, alive.
        #expect(await TestDatabase.eventually { droppedRuns == nil && droppedPool == nil })
        #expect(try await TestDatabase.eventually { try await TestDatabase.sessions(url) == 0 })
    }

    /// A watcher looks once at start, then once per interval: never in a loop. (Bounded by the
    /// time that actually passed, so a slow machine only makes it look less.)
    @Test(arguments: [false, true])
    func theWatcherLooksOncePerInterval(runsWait: Bool) async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        var logger = Logger(label: "weft.test.runs")
        logger.logLevel = .critical
        let runs = RunCoordinator(pool: pool, configuration: AppConfiguration(), logger: logger)
        let other = try await offCooperativePool { try PostgresConnection.connect(pool.configuration.connectionString) }
        if runsWait {
            // A run queued behind a capability another process holds: it waits throughout.
            try await offCooperativePool {
                try other.query("SELECT pg_advisory_lock($1, $2)", RunLockSession.namespace, RunLockSession.capabilityKey("pcb.fab"))
            }
            _ = try await pool.withConnection { connection in
                try RunRecords.insertQueued(on: connection, RunRecords.NewRun(
                    id: UUID(), capabilities: ["pcb.fab"], dryRun: true, timeLimitMs: 100, seed: 1, asOf: Day.today, owner: "test", requestedBy: nil))
            }
        }
        let interval = runsWait ? RunCoordinator.queuePollInterval : RunCoordinator.idleQueuePollInterval
        let clock = ContinuousClock()
        let began = clock.now
        runs.watchQueue()
        try await Task.sleep(for: .seconds(1))
        let looks = runs.queueLooks
        let elapsed = began.duration(to: clock.now)
        await runs.shutdown()
        #expect(looks >= 1)
        #expect(Double(looks) <= 2 + elapsed / interval, "\(looks) looks in \(elapsed)")
        if runsWait {
            let status = try await pool.query("SELECT status FROM schedule_runs")[0].decode(String.self, 0)
            #expect(status == "queued")
        }
        withExtendedLifetime(other) {}  // its lock held to the end
    }

    @Test func shutdownEndsTheWatcher() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let runs = RunCoordinator(pool: pool, configuration: AppConfiguration(), logger: Logger(label: "weft.test.runs"))
        runs.watchQueue()
        #expect(runs.isWatchingQueue)
        await runs.shutdown()
        #expect(!runs.isWatchingQueue)
        // And a stopped coordinator starts none again.
        runs.watchQueue()
        #expect(!runs.isWatchingQueue)
    }

    @Test func aRunQueuedOnAnInstanceThatStopsIsStartedByAnother() async throws {
        let (poolA, url) = try await TestDatabase.migratedPool()
        let poolB = PostgresPool(configuration: .init(connectionString: url, maxConnections: 4))
        let gate = WriteGate()
        let a = try await ScaleOutTests.instance(url: url, pool: poolA, hooks: RunHooks(beforeWrite: { await gate.arrive($0, $1, $2) }))
        let b = try await ScaleOutTests.instance(url: url, pool: poolB)
        _ = try await RunLockTests.network(poolA)
        let admin = try await a.issueKey(role: .admin)
        let (arrived, release) = Self.holdFirst(gate)
        let first = try await a.client().send("POST", "/v1/schedule-runs", headers: ["Authorization": "Bearer \(admin)"],
                                              json: #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(first.status == 202)
        await arrived.wait()
        // Instance B cannot run it now: it queues.
        let queued = try await b.client().send("POST", "/v1/schedule-runs", headers: ["Authorization": "Bearer \(admin)"],
                                               json: #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(queued.status == 202)
        #expect(queued.json["status"] as? String == "queued")
        let queuedID = try #require(queued.json["id"] as? String)
        // B goes away for good with the run still queued.
        await b.app.context.runs.shutdown()
        try await b.stop()
        #expect(try await Self.status(poolA, queuedID) == "queued")

        release.open()
        var status = "queued"
        for _ in 0..<600 where status == "queued" || status == "running" {
            try await Task.sleep(for: .milliseconds(50))
            status = try await Self.status(poolA, queuedID)
        }
        #expect(status == "succeeded")
        let error = try await poolA.query("SELECT error FROM schedule_runs WHERE id = $1", UUID(uuidString: queuedID)!)[0].decode(String?.self, 0)
        #expect(error == nil)
        try await Invariants.check(poolA)
        await a.app.context.runs.shutdown()
        try await a.stop()
    }
}
