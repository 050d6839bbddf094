import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Lowering capacity with displace=true")
struct DisplacementTests {
    @Test func releasesTheLeastImportantWorkAndReplacesIt() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", slots: [(1, 50, 5)]),
            .init(name: "B", slots: [(1, 100, 9)]),
        ])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let factoryA = try await server.issueKey(role: .factory, factoryID: network.factoryIDs["A"]!)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(broker)"]
        let important = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 30, extra: ",\"priority\":5"))
        let minor = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 20, extra: ",\"priority\":1"))
        #expect(important.json["status"] as? String == "scheduled")
        #expect(minor.json["status"] as? String == "scheduled")
        let aID = network.factoryIDs["A"]!.uuidString.lowercased()
        let lower = "{\"slots\":[{\"capability\":\"pcb.fab\",\"date\":\"\(NetworkFixture.today.adding(days: 1))\",\"units\":30,\"unit_cost\":5}]}"

        // Without the flag, lowering below what is allocated is refused and nothing changes.
        let refused = try await client.send("PUT", "/v1/factories/\(aID)/capacity", headers: ["Authorization": "Bearer \(factoryA)"], json: lower)
        #expect(refused.status == 409)
        #expect((refused.json["detail"] as? String)?.contains("displace=true") == true)

        let displaced = try await client.send("PUT", "/v1/factories/\(aID)/capacity?displace=true", headers: ["Authorization": "Bearer \(factoryA)"], json: lower)
        #expect(displaced.status == 200)
        let hit = try #require(displaced.json["displaced_orders"] as? [[String: Any]])
        #expect(hit.count == 1)
        #expect(hit.first?["id"] as? String == minor.json["id"] as? String)
        #expect(hit.first?["released_units"] as? Int == 20)
        #expect(hit.first?["replaced_units"] as? Int == 20)
        #expect(hit.first?["status"] as? String == "scheduled")

        let moved = try await client.send("GET", "/v1/orders/\(minor.json["id"] as! String)", headers: auth)
        let allocations = try #require(moved.json["allocations"] as? [[String: Any]])
        #expect(allocations.map { $0["factory_id"] as? String } == [network.factoryIDs["B"]!.uuidString.lowercased()])
        let kept = try await client.send("GET", "/v1/orders/\(important.json["id"] as! String)", headers: auth)
        #expect((kept.json["allocations"] as? [[String: Any]])?.first?["factory_id"] as? String == aID)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func highestPriorityIsReplacedFirstAndShortOrdersSaySo() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", slots: [(1, 40, 5)]),
            .init(name: "B", slots: [(1, 10, 9)]),
        ])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let factoryA = try await server.issueKey(role: .factory, factoryID: network.factoryIDs["A"]!)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(broker)"]
        let confirmed = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 25, extra: ",\"priority\":1"))
        let planned = try await client.send("POST", "/v1/orders", headers: auth, json: OrderSubmitTests.order(due: 3, quantity: 15, extra: ",\"priority\":5"))
        let allocationID = try #require((confirmed.json["allocations"] as? [[String: Any]])?.first?["id"] as? String)
        #expect(try await client.send("POST", "/v1/allocations/\(allocationID)/confirm", headers: ["Authorization": "Bearer \(factoryA)"]).status == 200)

        // 40 → 20: the planned priority-5 order goes before the confirmed priority-1 one.
        let aID = network.factoryIDs["A"]!.uuidString.lowercased()
        let response = try await client.send("PUT", "/v1/factories/\(aID)/capacity?displace=true", headers: ["Authorization": "Bearer \(factoryA)"],
            json: "{\"slots\":[{\"capability\":\"pcb.fab\",\"date\":\"\(NetworkFixture.today.adding(days: 1))\",\"units\":20,\"unit_cost\":5}]}")
        #expect(response.status == 200)
        let hit = try #require(response.json["displaced_orders"] as? [[String: Any]])
        #expect(Set(hit.compactMap { $0["id"] as? String }) == Set([planned.json["id"] as! String, confirmed.json["id"] as! String]))
        // Both lost their units at A; the priority-5 order is re-placed first and takes 15 of A's
        // remaining 20; the confirmed priority-1 order gets A's last 5 and B's 10: partial, and says why.
        let plannedAfter = try await client.send("GET", "/v1/orders/\(planned.json["id"] as! String)", headers: auth)
        #expect(plannedAfter.json["status"] as? String == "scheduled")
        #expect(plannedAfter.json["allocated_units"] as? Int == 15)
        let confirmedAfter = try await client.send("GET", "/v1/orders/\(confirmed.json["id"] as! String)", headers: auth)
        #expect(confirmedAfter.json["status"] as? String == "partial")
        #expect(confirmedAfter.json["allocated_units"] as? Int == 15)
        #expect((confirmedAfter.json["unscheduled_reason"] as? String)?.contains("Displaced") == true)
        #expect(try await server.pool.query("SELECT allocated FROM capacity_slots ORDER BY unit_cost").map { try $0.decode(Int.self, 0) } == [20, 10])
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
