import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// Order placement plans from a per-process copy of the slots (PlacementCache). These tests
/// change the database behind that copy's back, as another process or an operator would, and
/// check that orders still get the best plan the database allows and never overbook.
@Suite("Placement from the in-memory slot copy stays exact when the database changes behind it")
struct PlacementCacheTests {
    private static func units(_ response: TestHTTPClient.Response) -> [String: Int] {
        var byFactory: [String: Int] = [:]
        for allocation in (response.json["allocations"] as? [[String: Any]]) ?? [] {
            byFactory[allocation["factory_id"] as! String, default: 0] += allocation["units"] as! Int
        }
        return byFactory
    }

    @Test func capacityAddedBehindItsBackIsUsedAtOnce() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Cheap", slots: [(1, 10, 5)]),
            .init(name: "Dear", slots: [(1, 100, 50)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(key)"]
        let cheap = network.factoryIDs["Cheap"]!.uuidString.lowercased(), dear = network.factoryIDs["Dear"]!.uuidString.lowercased()
        let first = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 10))
        #expect(Self.units(first) == [cheap: 10])
        // Another process raises the cheap factory's capacity and reprices the dear one.
        try await server.pool.query("UPDATE capacity_slots SET units = 40 WHERE factory_id = $1", network.factoryIDs["Cheap"]!)
        let second = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 20))
        #expect(second.status == 201)
        #expect(Self.units(second) == [cheap: 20])
        try await server.pool.query("UPDATE capacity_slots SET unit_cost = 1 WHERE factory_id = $1", network.factoryIDs["Dear"]!)
        let third = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 5))
        #expect(Self.units(third) == [dear: 5])
        #expect((third.json["allocations"] as? [[String: Any]])?.first?["unit_cost"] as? Int == 1)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func capacityFreedByACancelIsUsedAtOnce() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "Only", slots: [(1, 10, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(key)"]
        let first = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 10))
        let full = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 4))
        #expect(full.json["status"] as? String == "unscheduled")
        // Cancelled directly in the database (as another process does): the room is seen.
        try await server.pool.query("DELETE FROM allocations WHERE order_id = $1", UUID(uuidString: first.json["id"] as! String)!)
        let again = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 4))
        #expect(again.json["status"] as? String == "scheduled")
        #expect(again.json["allocated_units"] as? Int == 4)
        try await server.stop()
    }

    @Test func capacityTakenBehindItsBackIsNeverOverbooked() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Cheap", slots: [(1, 30, 5)]),
            .init(name: "Dear", slots: [(1, 30, 9)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(key)"]
        _ = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 1))
        // Another process books 25 of the cheap slot's 29 free units without this one knowing.
        try await server.pool.query("""
            WITH o AS (INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units)
                       VALUES ($1, 'pcb.fab', 25, current_date + 3, current_date, 'scheduled', 25) RETURNING id)
            INSERT INTO allocations (order_id, slot_id, units, unit_cost)
            SELECT o.id, s.id, 25, 5 FROM o, capacity_slots s WHERE s.factory_id = $2
            """, network.brokerID, network.factoryIDs["Cheap"]!)
        // A quote reads the planned slots before answering: it sees the 4 units left too.
        let quote = try await client.send("POST", "/v1/quotes", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 10))
        #expect(quote.status == 200)
        #expect(Self.units(quote) == [network.factoryIDs["Cheap"]!.uuidString.lowercased(): 4, network.factoryIDs["Dear"]!.uuidString.lowercased(): 6])
        #expect(quote.json["cost"] as? Int == 4 * 5 + 6 * 9)
        let order = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 10))
        #expect(order.status == 201)
        #expect(Self.units(order) == [network.factoryIDs["Cheap"]!.uuidString.lowercased(): 4, network.factoryIDs["Dear"]!.uuidString.lowercased(): 6])
        #expect(order.json["cost"] as? Int == 4 * 5 + 6 * 9)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func aFactoryEditedBehindItsBackIsRespected() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Cheap", slots: [(1, 50, 5)]),
            .init(name: "Dear", slots: [(1, 50, 9)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(key)"]
        _ = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 1))
        try await server.pool.query("UPDATE factories SET active = false WHERE id = $1", network.factoryIDs["Cheap"]!)
        let order = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 5))
        #expect(Self.units(order) == [network.factoryIDs["Dear"]!.uuidString.lowercased(): 5])
        try await server.pool.query("UPDATE factories SET active = true WHERE id = $1", network.factoryIDs["Cheap"]!)
        try await server.pool.query("UPDATE factory_capabilities SET setup_cost = 1000 WHERE factory_id = $1", network.factoryIDs["Cheap"]!)
        let costly = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 5))
        #expect(Self.units(costly) == [network.factoryIDs["Dear"]!.uuidString.lowercased(): 5])
        try await server.stop()
    }
}
