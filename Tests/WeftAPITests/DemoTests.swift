import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore

@Suite("weft demo: the demo network")
struct DemoTests {
    @Test func loadsARealisticNetworkOnceAndOnlyWhenEmpty() async throws {
        let server = try await TestServer.start()
        let loader = DemoLoader(app: server.app)
        let summary = try await loader.load(ifEmpty: true, runTimeLimitMs: 300)
        #expect(!summary.skipped)
        #expect(summary.factories >= 50)
        #expect(summary.regions >= 7)
        #expect(summary.capabilities == 5)
        #expect(summary.brokers >= 3)
        #expect(summary.slots >= 50 * 30)
        let orders = summary.orders.values.reduce(0, +)
        #expect(orders >= 300)
        #expect(summary.allocations >= 300)
        // Mixed outcomes, as a real network has: mostly planned, some short, a few cancelled.
        #expect((summary.orders["scheduled"] ?? 0) > orders / 2)
        #expect((summary.orders["partial"] ?? 0) + (summary.orders["unscheduled"] ?? 0) > 0)
        #expect((summary.orders["cancelled"] ?? 0) > 0)
        let split = try await server.pool.query("""
            SELECT count(*) FROM (SELECT a.order_id FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
                                  GROUP BY a.order_id HAVING count(DISTINCT s.factory_id) > 1) t
            """)[0].decode(Int.self, 0)
        #expect(split >= 10, "orders split across factories")
        // Pooling shows: PCB fabs charge for panel runs, PCB orders name a pool, and sample
        // orders share panels, which they fill well.
        let batchTerms = try await server.pool.query("SELECT count(*) FROM factory_capabilities WHERE batch_cost > 0")[0].decode(Int.self, 0)
        #expect(batchTerms >= 5)
        #expect(summary.pooledOrders >= 40)
        #expect(summary.sharedBatchGroups >= 5, "batches shared by two or more orders")
        let shared = try await server.pool.query("""
            SELECT count(*), count(*) FILTER (WHERE 2 * p.units >= ceil(p.units::numeric / c.batch_units) * c.batch_units) FROM slot_pool_units p
              JOIN capacity_slots s ON s.id = p.slot_id
              JOIN factory_capabilities c ON c.factory_id = s.factory_id AND c.capability = p.capability
             WHERE p.capability = 'pcb.fab'
               AND (SELECT count(*) FROM allocations a JOIN orders o ON o.id = a.order_id WHERE a.slot_id = p.slot_id AND o.pool = p.pool) > 1
            """)[0]
        #expect(try shared.decode(Int.self, 0) == summary.sharedBatchGroups, "every shared batch is a PCB panel")
        #expect(try shared.decode(Int.self, 1) >= 3, "shared PCB panels at least half full")
        let key = try #require(summary.adminKey)
        #expect(APIKeySecret(presented: key) != nil)
        try await Invariants.check(server.pool)

        let counts = "SELECT (SELECT count(*) FROM factories), (SELECT count(*) FROM orders), (SELECT count(*) FROM allocations), (SELECT count(*) FROM api_keys)"
        let before = try await server.pool.query(counts)[0]
        let again = try await loader.load(ifEmpty: true)
        #expect(again.skipped)
        #expect(again.existingFactories == summary.factories)
        #expect(again.adminKey == nil)
        let after = try await server.pool.query(counts)[0]
        for column in 0..<4 { #expect(try before.decode(Int.self, column) == after.decode(Int.self, column)) }

        // The demo's key signs in, and every page has a chart with something in it.
        let token = try #require(try await DashboardTests.signIn(server, key: key).1)
        // The batches page lists pools over the demo's month.
        let month = "/dashboard/batches?from=\(Day.today.iso)&to=\(Day.today.adding(days: 29).iso)"
        let batches = try await DashboardTests.page(server, month, token: token)
        #expect(batches.status == 200)
        #expect(batches.text.contains("fr4."), "a PCB pool on the batches page")
        for path in ["/dashboard", "/dashboard/orders", "/dashboard/unserved"] {
            let page = try await DashboardTests.page(server, path, token: token)
            #expect(page.status == 200)
            // The heat map's cells are <use> elements; the other charts draw <rect>s.
            let shape = path == "/dashboard" ? "use" : "rect"
            #expect(try DashboardTests.chart(page.text).elements.filter { $0 == shape }.count >= 3, "\(path)")
        }
        try await server.stop()
    }

    @Test func theSameSeedGivesTheSameNetwork() {
        let day = Day(year: 2026, month: 11, day: 23)!
        let first = DemoNetwork(seed: 7, today: day), second = DemoNetwork(seed: 7, today: day), other = DemoNetwork(seed: 8, today: day)
        #expect(first.factories.map(\.profileJSON) == second.factories.map(\.profileJSON))
        #expect(first.factories.map(\.capacityJSON) == second.factories.map(\.capacityJSON))
        #expect(first.orders.map(\.json) == second.orders.map(\.json))
        #expect(first.orders.map(\.json) != other.orders.map(\.json))
        #expect(first.factories.count == 56)
        #expect(Set(first.factories.map(\.region)).count == 7)
        #expect(Set(first.factories.flatMap { $0.capabilities.map(\.spec.code) }).count == 5)
    }
}
