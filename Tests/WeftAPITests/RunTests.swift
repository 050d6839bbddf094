import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Schedule runs: dry runs, improving a plan, pinning")
struct RunTests {
    /// Cheap (10 a unit) and Dear (50 a unit), 100 units a day on days 0...3; three orders of 50
    /// placed at Dear by hand, one waiting order of 40, one confirmed and one frozen (day 0)
    /// allocation at Dear that a run must leave alone.
    struct BadPlan {
        var network: NetworkFixture
        var moved: [UUID]
        var waiting: UUID
        var confirmed: UUID
        var frozen: UUID
        var cheap: UUID { network.factoryIDs["Cheap"]! }
        var dear: UUID { network.factoryIDs["Dear"]! }

        static func seed(_ pool: PostgresPool) async throws -> BadPlan {
            let (network, _) = try await NetworkFixture.seed(pool, [
                .init(name: "Cheap", setupCost: 100, slots: [(0, 100, 10), (1, 100, 10), (2, 100, 10), (3, 100, 10)]),
                .init(name: "Dear", setupCost: 100, slots: [(0, 100, 50), (1, 100, 50), (2, 100, 50), (3, 100, 50)]),
            ])
            let dear = network.factoryIDs["Dear"]!
            var moved: [UUID] = []
            for day in 1...3 {
                moved.append(try await RunSeed.order(pool, broker: network.brokerID, quantity: 50, due: 5, allocations: [(dear, day, 50, false)]))
            }
            let waiting = try await RunSeed.order(pool, broker: network.brokerID, quantity: 40, due: 5, priority: 5)
            let confirmed = try await RunSeed.order(pool, broker: network.brokerID, quantity: 20, due: 5, allocations: [(dear, 2, 20, true)])
            let frozen = try await RunSeed.order(pool, broker: network.brokerID, quantity: 30, due: 5, allocations: [(dear, 0, 30, false)])
            return BadPlan(network: network, moved: moved, waiting: waiting, confirmed: confirmed, frozen: frozen)
        }
    }

    @Test func dryRunReportsTheDiffAndWritesNothing() async throws {
        let server = try await RunServer.start()
        let plan = try await BadPlan.seed(server.pool)
        let key = try await server.issueKey(role: .admin)
        let allocations = try await RunSeed.allocations(server.pool)
        let orders = try await RunSeed.orders(server.pool)
        let slots = try await server.pool.query("SELECT sum(allocated)::int8 FROM capacity_slots")[0].decode(Int64.self, 0)

        let accepted = try await server.post(key, #"{"dry_run":true,"time_limit_ms":300,"seed":7}"#)
        #expect(accepted.status == 202)
        #expect(["queued", "running"].contains(accepted.json["status"] as? String))
        #expect(accepted.header("Location") == "/v1/schedule-runs/\(accepted.json["id"] as? String ?? "")")
        let run = try await server.finished(key, try #require(accepted.json["id"] as? String))

        #expect(run["status"] as? String == "succeeded", "\(run)")
        #expect(run["dry_run"] as? Bool == true)
        #expect(run["seed"] as? Int == 7)
        #expect(run["progress"] as? Double == 1)
        #expect(run["capabilities"] as? [String] == ["pcb.fab"])
        let before = try #require(run.score("score_before")), after = try #require(run.score("score_after"))
        #expect(before.hard == 0 && after.hard == 0)
        #expect(before.unserved == 5 * 40)             // the waiting priority-5 order
        #expect(after.unserved == 0)
        #expect(after.cost < before.cost)
        let bound = try #require(run["bound"] as? [String: Any])
        #expect((bound["cost"] as? Int ?? .max) <= after.cost)
        #expect(run["started_at"] is String && run["finished_at"] is String)
        let diff = try #require(run["diff"] as? [[String: Any]])
        #expect(!diff.isEmpty)
        #expect(run["moved"] as? Int == diff.count)
        let ids = Set(([plan.waiting] + plan.moved).map { $0.uuidString.lowercased() })
        #expect(diff.allSatisfy { ids.contains($0["order_id"] as? String ?? "") })
        #expect(diff.allSatisfy { ($0["units_before"] as? Int) != ($0["units_after"] as? Int) && $0["date"] is String && $0["factory_id"] is String })
        let result = try #require(run.result("pcb.fab"))
        #expect(result["outcome"] as? String == "dry_run")
        #expect(result["orders"] as? Int == 6)
        #expect((run["timings"] as? [String: Any])?["total_ms"] is Int)

        // Nothing changed: not a row, not a status, not a slot.
        #expect(try await RunSeed.allocations(server.pool) == allocations)
        #expect(try await RunSeed.orders(server.pool) == orders)
        #expect(try await server.pool.query("SELECT sum(allocated)::int8 FROM capacity_slots")[0].decode(Int64.self, 0) == slots)
        try await server.stop()
    }

    @Test func runImprovesABadPlanAndLeavesPinnedWorkAlone() async throws {
        let server = try await RunServer.start()
        let plan = try await BadPlan.seed(server.pool)
        let key = try await server.issueKey(role: .admin)
        let pinnedRows = try await server.pool.query("""
            SELECT a.id, a.order_id, a.slot_id, a.units, a.status, a.run_id FROM allocations a WHERE a.order_id = ANY($1) ORDER BY a.id
            """, [plan.confirmed, plan.frozen]).map { "\(try $0.decode(Int64.self, 0)) \(try $0.decode(Int64.self, 2)) \(try $0.decode(Int.self, 3)) \(try $0.decode(String.self, 4))" }
        let costBefore = try await RunSeed.unitCost(server.pool)

        let run = try await server.run(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":500}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let before = try #require(run.score("score_before")), after = try #require(run.score("score_after"))
        #expect(after.hard == 0)
        #expect(after.unserved <= before.unserved)
        #expect(after.unserved == 0)
        #expect(after.cost < before.cost)
        #expect((run["moved"] as? Int ?? 0) > 0)
        #expect(run["diff"] == nil)
        let result = try #require(run.result("pcb.fab"))
        #expect(result["outcome"] as? String == "written")
        #expect(result["attempts"] as? Int == 1)

        // The plan in the database is the better one.
        #expect(try await RunSeed.unitCost(server.pool) < costBefore)
        for order in plan.moved {
            #expect(try await RunSeed.units(server.pool, order: order) == [plan.cheap: 50], "order \(order) should be at Cheap alone")
        }
        let waiting = try await server.pool.query("SELECT status, allocated_units FROM orders WHERE id = $1", plan.waiting)[0]
        #expect(try waiting.decode(String.self, 0) == "scheduled")
        #expect(try waiting.decode(Int.self, 1) == 40)
        // Confirmed and frozen work did not move.
        let pinnedAfter = try await server.pool.query("""
            SELECT a.id, a.order_id, a.slot_id, a.units, a.status, a.run_id FROM allocations a WHERE a.order_id = ANY($1) ORDER BY a.id
            """, [plan.confirmed, plan.frozen]).map { "\(try $0.decode(Int64.self, 0)) \(try $0.decode(Int64.self, 2)) \(try $0.decode(Int.self, 3)) \(try $0.decode(String.self, 4))" }
        #expect(pinnedAfter == pinnedRows)
        // Rows the run made carry its id; every order has at least what it had.
        let runID = try #require(UUID(uuidString: run["id"] as? String ?? ""))
        #expect(try await server.pool.query("SELECT count(*) FROM allocations WHERE run_id = $1", runID)[0].decode(Int.self, 0) >= 4)
        #expect(try await server.pool.query("SELECT count(*) FROM orders WHERE status <> 'scheduled'")[0].decode(Int.self, 0) == 0)
        try await Invariants.check(server.pool)

        // Run again: nothing left to improve, nothing written.
        let again = try await server.run(key, #"{"time_limit_ms":200}"#)
        #expect(again["status"] as? String == "succeeded")
        #expect(again.result("pcb.fab")?["outcome"] as? String == "unchanged")
        #expect(again["moved"] as? Int == 0)
        #expect(again.score("score_after")?.cost == after.cost)
        try await server.stop()
    }

    @Test func freezeDaysPinTheFirstDays() async throws {
        // With a 3-day freeze, the orders on days 1 and 2 are frozen: only day 3 may move.
        let server = try await RunServer.start(freezeDays: 3)
        let plan = try await BadPlan.seed(server.pool)
        let key = try await server.issueKey(role: .admin)
        let run = try await server.run(key, #"{"time_limit_ms":300}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        #expect(try await RunSeed.units(server.pool, order: plan.moved[0]) == [plan.dear: 50])
        #expect(try await RunSeed.units(server.pool, order: plan.moved[1]) == [plan.dear: 50])
        #expect(try await RunSeed.units(server.pool, order: plan.moved[2]) == [plan.cheap: 50])
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func asOfInTheFutureKeepsEarlierDaysAndPlacesLater() async throws {
        let server = try await RunServer.start(freezeDays: 0)
        let plan = try await BadPlan.seed(server.pool)
        let key = try await server.issueKey(role: .admin)
        // From day 2 on, days 0 and 1 are history: the day-1 order stays, days 2 and 3 move.
        let asOf = NetworkFixture.today.adding(days: 2).iso
        let run = try await server.run(key, #"{"as_of":"\#(asOf)","time_limit_ms":300}"#)
        #expect(run["as_of"] as? String == asOf)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        #expect(try await RunSeed.units(server.pool, order: plan.moved[0]) == [plan.dear: 50])
        #expect(try await RunSeed.units(server.pool, order: plan.moved[1]) == [plan.cheap: 50])
        #expect(try await RunSeed.units(server.pool, order: plan.moved[2]) == [plan.cheap: 50])
        // Nothing new lands before as_of.
        #expect(try await server.pool.query("""
            SELECT count(*) FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id WHERE a.run_id IS NOT NULL AND s.day < $1
            """, NetworkFixture.today.adding(days: 2))[0].decode(Int.self, 0) == 0)
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
