import Foundation
import Testing
import WeftCore
import WeftTestSupport
@testable import WeftStore

@Suite("Run records: reading a capability's problem, writing a plan diff, run rows")
struct RunRecordsTests {
    static let asOf = Day(year: 2030, month: 6, day: 10)!

    /// F1 (active, lead 0) and F2 (inactive) offer pcb.fab, 100 units a day from as_of − 3 to
    /// as_of + 9 at 10 (F1) and 5 (F2) a unit. Orders, with day offsets from as_of:
    /// - open: due +5; holds 10 on day −1 (history), 20 on day +2 (movable), 5 on day +3 (confirmed);
    /// - late: due −2, yet holds 7 on day +1 (outside the problem: it only takes room);
    /// - waiting: due +4, nothing yet; cancelled: ignored; milling: another capability.
    struct Seed {
        var f1: UUID, f2: UUID
        var open: UUID, late: UUID, waiting: UUID, cancelled: UUID, milling: UUID
        var run: UUID
    }

    static func seed(_ pool: PostgresPool) async throws -> Seed {
        try await pool.transaction { c in
            let broker = try c.query("INSERT INTO brokers (name) VALUES ('b') RETURNING id")[0].decode(UUID.self, 0)
            func factory(_ active: Bool, _ cost: Int64) throws -> UUID {
                let id = try c.query("INSERT INTO factories (name, region, lead_days, active) VALUES ('f', 'CN-GD', 0, $1) RETURNING id", active)[0].decode(UUID.self, 0)
                try c.query("INSERT INTO factory_capabilities VALUES ($1, 'pcb.fab', 100), ($1, 'cnc.milling', 0)", id)
                try c.query("""
                    INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
                    SELECT $1, 'pcb.fab', $2::date + g, 100, $3 FROM generate_series(-3, 9) g
                    """, id, asOf, cost)
                return id
            }
            let f1 = try factory(true, 10), f2 = try factory(false, 5)
            func order(_ capability: String = "pcb.fab", due: Int, status: String = "unscheduled") throws -> UUID {
                try c.query("""
                    INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status)
                    VALUES ($1, $2, 40, $3, $4, $5) RETURNING id
                    """, broker, capability, asOf.adding(days: due), asOf.adding(days: -10), status)[0].decode(UUID.self, 0)
            }
            func allocate(_ order: UUID, day: Int, units: Int, confirmed: Bool = false) throws {
                try c.query("""
                    INSERT INTO allocations (order_id, slot_id, units, unit_cost, status, confirmed_at)
                    SELECT $1, id, $3, unit_cost, CASE WHEN $4 THEN 'confirmed' ELSE 'planned' END, CASE WHEN $4 THEN now() END
                      FROM capacity_slots WHERE factory_id = $5 AND capability = 'pcb.fab' AND day = $2
                    """, order, asOf.adding(days: day), units, confirmed, f1)
            }
            let open = try order(due: 5), late = try order(due: -2), waiting = try order(due: 4)
            let cancelled = try order(due: 5, status: "cancelled"), milling = try order("cnc.milling", due: 5)
            try allocate(open, day: -1, units: 10)
            try allocate(open, day: 2, units: 20)
            try allocate(open, day: 3, units: 5, confirmed: true)
            try allocate(late, day: 1, units: 7)
            try OrderRecords.refreshStatus(on: c, ids: [open, late], reason: nil)
            let run = try RunRecords.insert(on: c, RunRecords.NewRun(id: UUID(), capabilities: ["pcb.fab"], dryRun: false, timeLimitMs: 100,
                                                                      seed: 1, asOf: asOf, owner: "test", requestedBy: nil)).id
            return Seed(f1: f1, f2: f2, open: open, late: late, waiting: waiting, cancelled: cancelled, milling: milling, run: run)
        }
    }

    static func load(_ pool: PostgresPool, freezeDays: Int = 1) async throws -> ProblemRecords.Loaded {
        try await pool.transaction(.repeatableRead) { try ProblemRecords.load(on: $0, capability: "pcb.fab", asOf: asOf, freezeDays: freezeDays) }
    }

    @Test func loadsWhatARunMayChangeAndPinsWhatItMayNot() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let seed = try await Self.seed(pool)
        let loaded = try await Self.load(pool)
        let problem = loaded.problem
        #expect(Set(loaded.orderIDs) == [seed.open, seed.waiting])
        #expect(loaded.factoryIDs.count == 2)
        let f2 = try #require(loaded.factoryIDs.firstIndex(of: seed.f2))
        #expect(problem.factories[f2].active == false && problem.factories[f2].setupCost == 100)
        // Slots: as_of … last due date (+5) of both factories, plus the history slot the open order holds.
        #expect(problem.slots.count == 2 * 6 + 1)
        #expect(problem.slots.allSatisfy { $0.day >= Self.asOf.adding(days: -1) && $0.day <= Self.asOf.adding(days: 5) })
        // The late order's 7 units on day +1 are not the problem's to use.
        let f1 = try #require(loaded.factoryIDs.firstIndex(of: seed.f1))
        let day1 = try #require(problem.slots.first { $0.factory == f1 && $0.day == Self.asOf.adding(days: 1) })
        #expect(day1.units == 93)
        // Pinned: history (day −1) and confirmed (day +3); movable: day +2.
        let open = try #require(loaded.orderIDs.firstIndex(of: seed.open))
        let held = problem.allocations.filter { $0.order == open }.map { (problem.slots[$0.slot].day.ordinal - Self.asOf.ordinal, $0.units, $0.pinned) }
        #expect(held.map(\.0) == [-1, 2, 3] && held.map(\.1) == [10, 20, 5] && held.map(\.2) == [true, false, true])
        #expect(loaded.rows.count == 3 && loaded.rows.map(\.confirmed) == [false, false, true])
        // A freeze of three days pins day +2 as well.
        let frozen = try await Self.load(pool, freezeDays: 3)
        #expect(frozen.problem.allocations.allSatisfy { $0.pinned })
    }

    /// The open order's 20 movable units go from day +2 to day +1 (and 5 more are added there).
    static func move(_ loaded: ProblemRecords.Loaded, _ seed: Seed) throws -> [Scheduling.PlanChange] {
        let p = loaded.problem
        let order = try #require(loaded.orderIDs.firstIndex(of: seed.open))
        let f1 = try #require(loaded.factoryIDs.firstIndex(of: seed.f1))
        let from = try #require(p.slots.firstIndex { $0.factory == f1 && $0.day == asOf.adding(days: 2) })
        let to = try #require(p.slots.firstIndex { $0.factory == f1 && $0.day == asOf.adding(days: 1) })
        return [Scheduling.PlanChange(order: order, slot: from, before: 20, after: 0), Scheduling.PlanChange(order: order, slot: to, before: 0, after: 25)]
    }

    static func rows(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("SELECT id, order_id, slot_id, units, status, run_id FROM allocations ORDER BY id").map {
            "\(try $0.decode(Int64.self, 0)) \(try $0.decode(Int64.self, 2)) \(try $0.decode(Int.self, 3)) \(try $0.decode(String.self, 4)) \(String(describing: try $0.decode(UUID?.self, 5)))"
        }
    }

    @Test func writesOnlyTheDiff() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let seed = try await Self.seed(pool)
        let loaded = try await Self.load(pool)
        let changes = try Self.move(loaded, seed)
        let untouched = try await pool.query("SELECT id FROM allocations WHERE order_id = $1 AND status = 'confirmed' OR order_id = $2", seed.open, seed.late)
            .map { try $0.decode(Int64.self, 0) }
        let summary = try await pool.transaction { try ProblemRecords.write(on: $0, loaded: loaded, changes: changes, runID: seed.run) }
        #expect(summary == ProblemRecords.WriteSummary(deleted: 1, updated: 0, inserted: 1, orders: 1))
        let order = try await pool.query("SELECT allocated_units, status FROM orders WHERE id = $1", seed.open)[0]
        #expect(try order.decode(Int.self, 0) == 40 && order.decode(String.self, 1) == "scheduled")
        let written = try await pool.query("""
            SELECT s.day, a.units, a.unit_cost, a.run_id FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id WHERE a.run_id IS NOT NULL
            """)
        #expect(written.count == 1)
        #expect(try written[0].decode(Day.self, 0) == Self.asOf.adding(days: 1) && written[0].decode(Int.self, 1) == 25)
        #expect(try written[0].decode(Int64.self, 2) == 10 && written[0].decode(UUID.self, 3) == seed.run)
        #expect(try await pool.query("SELECT count(*) FROM allocations WHERE id = ANY($1)", untouched)[0].decode(Int.self, 0) == untouched.count)
        #expect(try await pool.query("SELECT count(*) FROM capacity_slots WHERE allocated <> coalesce((SELECT sum(units) FROM allocations a WHERE a.slot_id = capacity_slots.id), 0)")[0].decode(Int.self, 0) == 0)
    }

    @Test func refusesAPlanWhoseGroundMovedAndWritesNothing() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let seed = try await Self.seed(pool)
        let loaded = try await Self.load(pool)
        let changes = try Self.move(loaded, seed)
        let before = try await Self.rows(pool)
        func attempt() async throws {
            _ = try await pool.transaction { try ProblemRecords.write(on: $0, loaded: loaded, changes: changes, runID: seed.run) }
        }

        // Capacity: someone fills day +1 (93 free) up to 20 free; 25 no longer fit.
        try await pool.query("""
            INSERT INTO allocations (order_id, slot_id, units, unit_cost) SELECT $1, id, 73, 10 FROM capacity_slots WHERE factory_id = $2 AND day = $3 AND capability = 'pcb.fab'
            """, seed.waiting, seed.f1, Self.asOf.adding(days: 1))
        await #expect(throws: ProblemRecords.WriteConflict.capacity) { try await attempt() }
        try await pool.query("DELETE FROM allocations WHERE order_id = $1", seed.waiting)
        #expect(try await Self.rows(pool) == before)

        // Eligibility: the factory is deactivated meanwhile.
        try await pool.query("UPDATE factories SET active = false WHERE id = $1", seed.f1)
        await #expect(throws: ProblemRecords.WriteConflict.self) { try await attempt() }
        try await pool.query("UPDATE factories SET active = true WHERE id = $1", seed.f1)
        #expect(try await Self.rows(pool) == before)

        // The order itself: its movable allocation is confirmed meanwhile.
        try await pool.query("UPDATE allocations SET status = 'confirmed', confirmed_at = now() WHERE order_id = $1 AND status = 'planned'", seed.open)
        await #expect(throws: ProblemRecords.WriteConflict.orderChanged(seed.open)) { try await attempt() }
        try await pool.query("UPDATE allocations SET status = 'planned', confirmed_at = NULL WHERE order_id = $1 AND units = 20", seed.open)
        try await pool.query("UPDATE allocations SET status = 'planned', confirmed_at = NULL WHERE order_id = $1 AND units = 10", seed.open)
        #expect(try await Self.rows(pool) == before)

        // Cancelled meanwhile.
        try await pool.transaction { _ = try OrderRecords.cancel(on: $0, id: seed.open) }
        await #expect(throws: ProblemRecords.WriteConflict.orderChanged(seed.open)) { try await attempt() }
        #expect(try await pool.query("SELECT count(*) FROM allocations WHERE order_id = $1", seed.open)[0].decode(Int.self, 0) == 0)
    }

    @Test func abandonedRunsAreRecognisedByTheirLock() async throws {
        let (pool, url) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let seed = try await Self.seed(pool)
        // The seeded run holds no lock: abandoned.
        let locks = try await RunLockSession.acquire(connectionString: url, runID: UUID(), capabilities: ["pcb.fab"])
        let live = try await pool.transaction { c in
            try RunRecords.insert(on: c, RunRecords.NewRun(id: UUID(), capabilities: ["sewing"], dryRun: true, timeLimitMs: 1,
                                                           seed: 1, asOf: Self.asOf, owner: "t", requestedBy: nil))
        }
        _ = live
        // A run whose own lock is held (by `holder`) is alive.
        let holder = try await RunLockSession.acquire(connectionString: url, runID: live.id, capabilities: [])
        let failed = try await pool.withConnection { try RunRecords.failAbandoned(on: $0) }
        #expect(failed == [seed.run])
        let row = try await pool.withConnection { try RunRecords.find(on: $0, id: seed.run) }
        #expect(row?.status == "failed" && row?.error == RunRecords.abandonedError && row?.finishedAt != nil)
        // Locks: a second session cannot take pcb.fab; it can after the first lets go.
        await #expect(throws: RunLockSession.Busy(capabilities: ["pcb.fab"])) {
            _ = try await RunLockSession.acquire(connectionString: url, runID: UUID(), capabilities: ["pcb.fab", "sewing"])
        }
        let partial = try await RunLockSession.acquire(connectionString: url, runID: UUID(), capabilities: ["pcb.fab", "sewing"], skipBusy: true)
        #expect(partial.capabilities == ["sewing"])
        await partial.release()
        await locks.release()
        let again = try await RunLockSession.acquire(connectionString: url, runID: UUID(), capabilities: ["pcb.fab"])
        await again.release()
        await holder.release()
        #expect(try await pool.withConnection { try RunRecords.failAbandoned(on: $0) } == [live.id])
        // Finishing an already-failed run changes nothing.
        #expect(try await pool.withConnection { try RunRecords.finish(on: $0, id: live.id, RunRecords.Outcome(status: "succeeded")) } == false)
    }

    /// Each capability of a run writes in its own transaction, all of them claiming the run's
    /// row: the claims must not queue behind one another (a run writes its capabilities side by
    /// side), yet nothing may finish the run while one is open, and progress reports skip
    /// rather than wait.
    @Test func writeClaimsShareTheRunRowAndKeepItRunning() async throws {
        let (pool, url) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let id = UUID(), capabilities = ["pcb.fab", "sewing"]
        _ = try await pool.transaction { c in
            try RunRecords.insert(on: c, RunRecords.NewRun(id: id, capabilities: capabilities, dryRun: false, timeLimitMs: 1,
                                                           seed: 1, asOf: Self.asOf, owner: "t", requestedBy: nil))
        }
        let locks = try await RunLockSession.acquire(connectionString: url, runID: id, capabilities: capabilities)
        let first = try PostgresConnection.connect(url), second = try PostgresConnection.connect(url), other = try PostgresConnection.connect(url)
        for c in [first, second, other] { try c.execute("SET lock_timeout = '2s'") }
        try first.execute("BEGIN")
        try RunRecords.claimWrite(on: first, run: id, lockHolder: locks.backendPID, capabilities: capabilities)
        // Would wait for `first` (and time out) if claims took the row exclusively.
        try second.execute("BEGIN")
        try RunRecords.claimWrite(on: second, run: id, lockHolder: locks.backendPID, capabilities: capabilities)

        // Progress is dropped while the row is claimed, without waiting: with a lock timeout
        // of 10 ms, any wait for the claimed row would be an error here.
        try other.execute("SET lock_timeout = '10ms'")
        #expect(throws: Never.self) { try RunRecords.setProgress(on: other, id: id, progress: 0.5) }
        #expect(try other.query("SELECT progress FROM schedule_runs WHERE id = $1", id)[0].decode(Double.self, 0) == 0)
        // Finishing the run waits for the claims: here it runs into the lock timeout.
        #expect(throws: PostgresError.self) {
            try RunRecords.finish(on: other, id: id, RunRecords.Outcome(status: "failed"))
        }
        try first.execute("COMMIT")
        try second.execute("COMMIT")
        try RunRecords.setProgress(on: other, id: id, progress: 0.5)
        #expect(try other.query("SELECT progress FROM schedule_runs WHERE id = $1", id)[0].decode(Double.self, 0) == 0.5)

        // A run no longer running cannot be claimed.
        #expect(try RunRecords.finish(on: other, id: id, RunRecords.Outcome(status: "failed")))
        try first.execute("BEGIN")
        #expect(throws: RunRecords.LocksLost.notRunning) {
            try RunRecords.claimWrite(on: first, run: id, lockHolder: locks.backendPID, capabilities: capabilities)
        }
        try first.execute("ROLLBACK")
        await locks.release()
    }
}
