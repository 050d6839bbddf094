import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// The orders report reads `order_factory_totals`, which the allocation triggers keep
/// (migration 0006). Every way Weft writes allocations must leave it equal to a fresh
/// aggregate of the allocations.
@Suite("Reports: the per-(order, factory) totals follow every write")
struct ReportSummaryTests {
    static func expectExact(_ pool: PostgresPool, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(try await OrderFactoryTotalsCheck.mismatches(pool) == 0, "after \(step)", sourceLocation: sourceLocation)
    }

    static func pairs(_ pool: PostgresPool, factory: UUID) async throws -> Int {
        try await pool.query("SELECT count(*) FROM order_factory_totals WHERE factory_id = $1", factory)[0].decode(Int.self, 0)
    }

    @Test func totalsFollowPlacementConfirmationRunsDisplacementCancelAndDeletion() async throws {
        let server = try await RunServer.start()
        let pool = server.pool
        // Five orders written straight to the database, one pair each at Dear; one waiting.
        let plan = try await RunTests.BadPlan.seed(pool)
        #expect(try await OrderFactoryTotalsCheck.pairs(pool) == 5)
        try await Self.expectExact(pool, "seeding")

        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: plan.network.brokerID)
        let cheapKey = try await server.server.issueKey(role: .factory, factoryID: plan.cheap)
        let client = try server.client()

        // Instant placement (one statement books the order and its allocations).
        var placed: [String] = []
        for quantity in [30, 120] {
            let response = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"],
                                                 json: OrderSubmitTests.order(due: 5, quantity: quantity))
            #expect(response.status == 201)
            placed.append(try #require(response.json["id"] as? String))
        }
        #expect(try await Self.pairs(pool, factory: plan.cheap) == 2)
        try await Self.expectExact(pool, "instant placement")

        // Confirming changes a row's status only.
        let first = try await pool.query("SELECT a.id FROM allocations a WHERE a.order_id = $1 ORDER BY a.id LIMIT 1",
                                         try #require(UUID(uuidString: placed[0])))[0].decode(Int64.self, 0)
        #expect(try await client.send("POST", "/v1/allocations/\(first)/confirm", headers: ["Authorization": "Bearer \(cheapKey)"]).status == 200)
        try await Self.expectExact(pool, "confirmation")

        // A run moves the three orders from Dear to Cheap (deletes, updates, inserts) and
        // places the waiting one.
        let run = try await server.run(admin, #"{"capabilities":["pcb.fab"],"time_limit_ms":500}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        #expect((run["moved"] as? Int ?? 0) > 0)
        for order in plan.moved {
            #expect(try await RunSeed.units(pool, order: order) == [plan.cheap: 50])
        }
        #expect(try await Self.pairs(pool, factory: plan.cheap) >= 6)
        try await Self.expectExact(pool, "a schedule run")

        // Displacement: Cheap's days 1 to 3 drop to 10 units; the work there is released and
        // placed again where it fits.
        let today = NetworkFixture.today
        let slots = (1...3).map { "{\"capability\":\"pcb.fab\",\"date\":\"\(today.adding(days: $0))\",\"units\":10,\"unit_cost\":10}" }
        let displaced = try await client.send("PUT", "/v1/factories/\(plan.cheap.uuidString.lowercased())/capacity?displace=true",
                                              headers: ["Authorization": "Bearer \(cheapKey)"], json: "{\"slots\":[\(slots.joined(separator: ","))]}")
        #expect(displaced.status == 200, "\(displaced.text)")
        #expect(!((displaced.json["displaced_orders"] as? [[String: Any]]) ?? []).isEmpty)
        try await Self.expectExact(pool, "displacement")

        // Cancelling deletes the order's allocations; its pairs go.
        let cancelled = try #require(UUID(uuidString: placed[1]))
        #expect(try await client.send("POST", "/v1/orders/\(placed[1])/cancel", headers: ["Authorization": "Bearer \(broker)"]).status == 200)
        #expect(try await pool.query("SELECT count(*) FROM order_factory_totals WHERE order_id = $1", cancelled)[0].decode(Int.self, 0) == 0)
        try await Self.expectExact(pool, "cancellation")

        // No route deletes orders, but the database cascades if anyone does.
        try await pool.query("DELETE FROM orders WHERE id = $1", plan.frozen)
        try await Self.expectExact(pool, "deleting an order")
        try await Invariants.check(pool)

        // Rebuilding the summary from the allocations changes nothing the report says.
        let path = "/v1/reports/orders"
        let report = try await client.send("GET", path, headers: ["Authorization": "Bearer \(admin)"])
        #expect(report.status == 200)
        #expect((report.json["factories_per_order"] as? [[String: Any]])?.isEmpty == false)
        try await pool.query("SELECT weft_rebuild_order_factory_totals()")
        #expect(try await client.send("GET", path, headers: ["Authorization": "Bearer \(admin)"]).text == report.text)

        // The check can fail: a deletion the triggers do not see (as in a bulk load with
        // session_replication_role = replica) leaves the summary behind; the rebuild puts it right.
        try await pool.transaction { connection in
            try connection.execute("SET LOCAL session_replication_role = replica")
            try connection.query("DELETE FROM allocations WHERE order_id = $1", plan.confirmed)
        }
        #expect(try await OrderFactoryTotalsCheck.mismatches(pool) == 1)
        try await pool.query("SELECT weft_rebuild_order_factory_totals()")
        try await Self.expectExact(pool, "the rebuild")
        try await server.stop()
    }
}
