import Foundation
import Logging
import Testing
import WeftTestSupport
@testable import WeftStore

/// `order_factory_totals` (migration 0006): per (order, factory) units, Σ units × unit cost
/// and last production day, kept by the allocation triggers for the orders report.
@Suite("Order-factory totals kept by the allocation triggers")
struct OrderFactoryTotalsTests {
    /// Two factories with slots on days 1...3 (unit cost 10 + day at X, 20 + day at Y), one
    /// broker and two orders.
    struct World {
        var x: UUID, y: UUID
        var orders: [UUID]
        /// slot id by (factory, day)
        var slots: [String: Int64]

        func slot(_ factory: UUID, _ day: Int) -> Int64 { slots["\(factory) \(day)"]! }

        static func seed(_ pool: PostgresPool) async throws -> World {
            try await pool.transaction { connection in
                let broker = try connection.query("INSERT INTO brokers (name) VALUES ('b') RETURNING id")[0].decode(UUID.self, 0)
                var factories: [UUID] = []
                var slots: [String: Int64] = [:]
                for (name, base) in [("X", 10), ("Y", 20)] {
                    let id = try connection.query("INSERT INTO factories (name, region, lead_days) VALUES ($1, 'CN-GD', 1) RETURNING id", name)[0].decode(UUID.self, 0)
                    try connection.query("INSERT INTO factory_capabilities VALUES ($1, 'pcb.fab', 100)", id)
                    for day in 1...3 {
                        slots["\(id) \(day)"] = try connection.query("""
                            INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost) VALUES ($1, 'pcb.fab', $2::date, 100, $3) RETURNING id
                            """, id, "2026-12-0\(day)", Int64(base + day))[0].decode(Int64.self, 0)
                    }
                    factories.append(id)
                }
                let orders = try (0..<2).map { _ in
                    try connection.query("""
                        INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status) VALUES ($1, 'pcb.fab', 100, '2026-12-20', '2026-11-01', 'partial') RETURNING id
                        """, broker)[0].decode(UUID.self, 0)
                }
                return World(x: factories[0], y: factories[1], orders: orders, slots: slots)
            }
        }

        func allocate(_ pool: PostgresPool, _ order: Int, _ factory: UUID, _ day: Int, _ units: Int) async throws {
            try await pool.query("INSERT INTO allocations (order_id, slot_id, units, unit_cost) SELECT $1, id, $2, unit_cost FROM capacity_slots WHERE id = $3",
                                 orders[order], units, slot(factory, day))
        }
    }

    /// (units, cost, last day) of one pair, nil when it has no row.
    static func pair(_ pool: PostgresPool, _ order: UUID, _ factory: UUID) async throws -> String? {
        try await pool.query("SELECT units, cost, last_day::text FROM order_factory_totals WHERE order_id = $1 AND factory_id = $2", order, factory).first.map {
            "\(try $0.decode(Int64.self, 0)) \(try $0.decode(Int64.self, 1)) \(try $0.decode(String.self, 2))"
        }
    }

    @Test func everyAllocationWriteKeepsThePairsExact() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let w = try await World.seed(pool)
        let (o1, o2) = (w.orders[0], w.orders[1])

        // Inserts add up per pair; the last day is the latest.
        try await w.allocate(pool, 0, w.x, 1, 5)
        try await w.allocate(pool, 0, w.x, 3, 4)
        try await w.allocate(pool, 0, w.y, 2, 2)
        #expect(try await Self.pair(pool, o1, w.x) == "9 107 2026-12-03")   // 5×11 + 4×13
        #expect(try await Self.pair(pool, o1, w.y) == "2 44 2026-12-02")    // 2×22
        // Several orders and pairs in one statement, and ON CONFLICT DO UPDATE (insert and
        // update triggers of one statement).
        try await pool.query("""
            INSERT INTO allocations (order_id, slot_id, units, unit_cost)
            SELECT t.o, s.id, t.u, s.unit_cost FROM unnest($1::uuid[], $2::int8[], $3::int4[]) AS t(o, slot, u) JOIN capacity_slots s ON s.id = t.slot
            ON CONFLICT (order_id, slot_id) DO UPDATE SET units = allocations.units + excluded.units
            """, [o1, o2, o2], [w.slot(w.x, 1), w.slot(w.x, 2), w.slot(w.y, 3)], [Int32(1), 3, 6])
        #expect(try await Self.pair(pool, o1, w.x) == "10 118 2026-12-03")
        #expect(try await Self.pair(pool, o2, w.x) == "3 36 2026-12-02")
        #expect(try await Self.pair(pool, o2, w.y) == "6 138 2026-12-03")
        #expect(try await OrderFactoryTotalsCheck.mismatches(pool) == 0)

        // Deleting the pair's last day reads the last day again; an earlier day keeps it.
        try await pool.query("DELETE FROM allocations WHERE order_id = $1 AND slot_id = $2", o1, w.slot(w.x, 3))
        #expect(try await Self.pair(pool, o1, w.x) == "6 66 2026-12-01")
        // Units change in place; confirming changes nothing here.
        try await pool.query("UPDATE allocations SET units = units * 2 WHERE order_id = $1", o2)
        #expect(try await Self.pair(pool, o2, w.y) == "12 276 2026-12-03")
        try await pool.query("UPDATE allocations SET status = 'confirmed', confirmed_at = now() WHERE order_id = $1", o2)
        #expect(try await Self.pair(pool, o2, w.x) == "6 72 2026-12-02")
        // Fewer units (as a schedule run writes them) in one statement with more elsewhere.
        try await pool.query("UPDATE allocations SET units = CASE WHEN slot_id = $2 THEN units - 4 ELSE units + 1 END WHERE order_id = $1",
                             o2, w.slot(w.y, 3))
        #expect(try await Self.pair(pool, o2, w.y) == "8 184 2026-12-03")
        #expect(try await Self.pair(pool, o2, w.x) == "7 84 2026-12-02")
        // A row moving to another factory's slot leaves one pair (deleted when empty) for another.
        try await pool.query("UPDATE allocations SET slot_id = $1 WHERE order_id = $2 AND slot_id = $3", w.slot(w.y, 1), o1, w.slot(w.x, 1))
        #expect(try await Self.pair(pool, o1, w.x) == nil)
        #expect(try await Self.pair(pool, o1, w.y) == "8 110 2026-12-02")  // 6 units still at X's cost 11, plus 2×22
        // ... and to another order.
        try await pool.query("UPDATE allocations SET order_id = $1 WHERE order_id = $2 AND slot_id = $3", o1, o2, w.slot(w.y, 3))
        #expect(try await Self.pair(pool, o1, w.y) == "16 294 2026-12-03")
        #expect(try await Self.pair(pool, o2, w.y) == nil)
        #expect(try await OrderFactoryTotalsCheck.mismatches(pool) == 0)

        // Deleting an order cascades to its allocations and its pairs.
        try await pool.query("DELETE FROM orders WHERE id = $1", o1)
        #expect(try await Self.pair(pool, o1, w.y) == nil)
        #expect(try await OrderFactoryTotalsCheck.pairs(pool) == 1)
        try await pool.query("DELETE FROM allocations")
        #expect(try await OrderFactoryTotalsCheck.pairs(pool) == 0)
        #expect(try await OrderFactoryTotalsCheck.mismatches(pool) == 0)
    }

    @Test func theMigrationFillsTheTableFromExistingAllocations() async throws {
        let url = try TestDatabase.createDatabase()
        var logger = Logger(label: "weft.test.store")
        logger.logLevel = .warning
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 2), logger: logger)
        defer { pool.close() }
        let all = try MigrationRunner.bundled()
        try await MigrationRunner(migrations: all.filter { $0.version < 6 }, logger: logger).migrate(on: pool)
        let w = try await World.seed(pool)
        try await w.allocate(pool, 0, w.x, 1, 5)
        try await w.allocate(pool, 0, w.x, 2, 5)
        try await w.allocate(pool, 1, w.y, 3, 7)
        try await MigrationRunner(migrations: all, logger: logger).migrate(on: pool)
        #expect(try await OrderFactoryTotalsCheck.pairs(pool) == 2)
        #expect(try await Self.pair(pool, w.orders[0], w.x) == "10 115 2026-12-02")
        #expect(try await OrderFactoryTotalsCheck.mismatches(pool) == 0)
        // From then on the triggers keep it.
        try await w.allocate(pool, 1, w.y, 1, 1)
        #expect(try await Self.pair(pool, w.orders[1], w.y) == "8 182 2026-12-03")
    }
}
