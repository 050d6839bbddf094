import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// A pooled order plans from the units of its pool the process holds per slot (beside the
/// free units), and its booking checks them. These tests change a pool's units behind the
/// process's back, as another process does, and check that orders still get the plan the
/// database's figures call for and nothing is overbooked.
@Suite("Pooling: held pool units stay exact when other processes book into the pool")
struct PoolingCacheTests {
    static let pool = "fr4.2l.hasl"

    /// Books `units` of the pool into `factory`'s one slot as another process would (straight
    /// into the tables; the allocation triggers keep the pool's units), and returns the order id.
    static func bookElsewhere(_ server: TestServer, brokerID: UUID, factoryID: UUID, units: Int, unitCost: Int) async throws -> UUID {
        try await server.pool.query("""
            WITH o AS (INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units, pool)
                       VALUES ($1, 'pcb.fab', $3, current_date + 6, current_date, 'scheduled', $3, $4) RETURNING id)
            INSERT INTO allocations (order_id, slot_id, units, unit_cost)
            SELECT o.id, s.id, $3, $5 FROM o, capacity_slots s WHERE s.factory_id = $2 RETURNING order_id
            """, brokerID, factoryID, units, pool, unitCost)[0].decode(UUID.self, 0)
    }

    @Test func aBatchOpenedByAnotherProcessIsJoinedAndARemovedOneIsNot() async throws {
        let server = try await TestServer.start()
        // Both 1,000 a batch of 50 units, setup 100, 100 units on day 1: Near at 9, Far at 8.
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Near", region: "CN-GD", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 9)]),
            .init(name: "Far", region: "VN-SG", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 8)]),
        ])
        let broker = PoolingTests.Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        let near = network.factoryIDs["Near"]!, far = network.factoryIDs["Far"]!
        func factories(_ response: TestHTTPClient.Response) -> [String?]? {
            (response.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String }
        }
        // A fills one batch at Far exactly (cheaper units): the process now holds the pool's units.
        let a = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 50, pool: Self.pool))
        #expect(factories(a) == [far.uuidString.lowercased()], "\(a.text)")

        // Another process opens a batch of the pool at Near with 20 units: the held figures miss
        // it (no generation moves for a booking). B, 10 units: from the held figures Far's new
        // batch (80 + 100 + 1,000) beats Near's (90 + 100 + 1,000); in truth Near's open batch
        // has room for them (90 + 100), so B goes to Near and pays ⌊1,000 × 10/30⌋ of it.
        let elsewhere = try await Self.bookElsewhere(server, brokerID: network.brokerID, factoryID: near, units: 20, unitCost: 9)
        let b = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 10, pool: Self.pool))
        #expect(b.status == 201, "\(b.text)")
        #expect(factories(b) == [near.uuidString.lowercased()], "\(b.text)")
        #expect(b.json["cost"] as? Int == 90 + 100 + 333)
        try await Invariants.check(server.pool)

        // The other process cancels its order (its units leave the pool; the generation moves):
        // Near holds B's 10 units only. C, 35 units: in truth they all fit Near's batch (room 40:
        // 315 + 100) against a new batch at Far (280 + 100 + 1,000). Had the 20 units stayed in
        // the held figures (room 20), Near would look like 315 + 100 + 1,000: Far.
        try await server.pool.query("DELETE FROM allocations WHERE order_id = $1", elsewhere)
        try await server.pool.query("DELETE FROM orders WHERE id = $1", elsewhere)
        let c = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 35, pool: Self.pool))
        #expect(c.status == 201, "\(c.text)")
        #expect(factories(c) == [near.uuidString.lowercased()], "\(c.text)")
        #expect(try await server.pool.query("SELECT p.units FROM slot_pool_units p JOIN capacity_slots s ON s.id = p.slot_id WHERE s.factory_id = $1",
                                            near)[0].decode(Int.self, 0) == 45)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func aBookingFromStalePoolUnitsIsRefusedWithTheFreshOnes() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Near", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 9)]),
        ])
        let near = network.factoryIDs["Near"]!
        _ = try await Self.bookElsewhere(server, brokerID: network.brokerID, factoryID: near, units: 20, unitCost: 9)
        let today = NetworkFixture.today
        let (generation, slotID) = try await server.pool.withConnection { connection in
            (try CandidateRecords.generation(on: connection, capability: "pcb.fab"),
             try connection.query("SELECT id FROM capacity_slots WHERE factory_id = $1", near)[0].decode(Int64.self, 0))
        }
        func book(held: Int64) async throws -> OrderRecords.Booking {
            let order = OrderRecords.Order(
                id: UUID(), brokerID: network.brokerID, capability: "pcb.fab", quantity: 5, dueDate: today.adding(days: 6), releaseDate: today,
                maxUnitCost: nil, regions: [], certifications: [], minLot: 1, maxFactories: 3, priority: 1, reference: nil,
                status: "scheduled", allocatedUnits: 5, unscheduledReason: nil, createdAt: Date(), updatedAt: Date(), cancelledAt: nil, pool: Self.pool)
            return try await server.pool.withConnection { connection in
                try OrderRecords.book(on: connection, order, [OrderRecords.NewAllocation(slotID: slotID, units: 5, unitCost: 9)],
                                      generation: generation, poolCheck: OrderRecords.PoolCheck(from: today, to: today.adding(days: 6), units: held))
            }
        }
        // Planned as if the pool had no units there: refused, with the 20 units there are.
        guard case .stale(let current, _, let fresh) = try await book(held: 0) else {
            Issue.record("a booking from stale pool units was written")
            return
        }
        #expect(current == generation)
        #expect(fresh == [BatchRecords.PoolUnits(slotID: slotID, day: today.adding(days: 1), units: 20)])
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 1)
        // Planned from the right figure: written.
        guard case .booked = try await book(held: 20) else {
            Issue.record("a booking from the current pool units was refused")
            return
        }
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    /// Why a booking reads its pool's units in its slots again (in its pipeline, with the slots
    /// still locked) instead of adding its own units to the figures it planned with: another
    /// process's booking into the same slot that commits while this booking waits for the
    /// slot's lock passes unseen by the booking's pool check (it reads the statement's snapshot),
    /// and only the read after it sees it. The held figure must be the database's, 30, not 10.
    @Test func aBookingThatWaitedForASlotLockHoldsThePoolUnitsCommittedMeanwhile() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Near", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 9)]),
        ])
        let broker = PoolingTests.Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        let near = network.factoryIDs["Near"]!
        let (generation, slotID) = try await server.pool.withConnection { connection in
            (try CandidateRecords.generation(on: connection, capability: "pcb.fab"),
             try connection.query("SELECT id FROM capacity_slots WHERE factory_id = $1", near)[0].decode(Int64.self, 0))
        }
        func held() -> Int? { server.app.context.placements.poolUnits("pcb.fab", pool: Self.pool, generation: generation)?.units[slotID] }
        func truth() async throws -> Int {
            try await server.pool.query("SELECT coalesce(sum(units), 0)::int8 FROM slot_pool_units WHERE slot_id = $1", slotID)[0].decode(Int.self, 0)
        }

        // Another process books 20 units of the pool into the slot and holds its lock for 3 s
        // before it commits.
        async let elsewhere = server.pool.query("""
            WITH l AS (SELECT id FROM capacity_slots WHERE factory_id = $1 FOR UPDATE),
                 o AS (INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units, pool)
                       VALUES ($2, 'pcb.fab', 20, current_date + 6, current_date, 'scheduled', 20, $3) RETURNING id),
                 a AS (INSERT INTO allocations (order_id, slot_id, units, unit_cost) SELECT o.id, l.id, 20, 9 FROM o, l RETURNING slot_id)
            SELECT pg_sleep(3) FROM l
            """, near, network.brokerID, Self.pool)
        let sleeping = try await TestDatabase.eventually(within: .seconds(60)) {
            try await server.pool.query("SELECT count(*)::int8 FROM pg_stat_activity WHERE wait_event = 'PgSleep'")[0].decode(Int.self, 0) > 0
        }
        #expect(sleeping)
        // A, 10 units, plans from no pool units and its booking waits for the slot's lock. (On
        // a machine slow enough that the other booking commits first, A is refused, planned
        // again from the 20 and booked: the held figure is 30 as well.)
        let a = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 10, pool: Self.pool))
        _ = try await elsewhere
        #expect(a.status == 201, "\(a.text)")
        #expect(try await truth() == 30)
        #expect(held() == 30)

        // B, 5 units, plans from the 30 held and books at once.
        let b = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 5, pool: Self.pool))
        #expect(b.status == 201, "\(b.text)")
        #expect(try await truth() == 35)
        #expect(held() == 35)
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
