import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Explain, the factory's view and confirm")
struct ExplainAndConfirmTests {
    @Test func explainNamesTheFirstReasonForEveryFactory() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Used", certifications: ["ISO9001"], slots: [(1, 100, 10)]),
            .init(name: "Pricier", certifications: ["ISO9001"], slots: [(1, 100, 11)]),     // cost
            .init(name: "Inactive", certifications: ["ISO9001"], active: false, slots: [(1, 100, 1)]),
            .init(name: "Elsewhere", region: "EU-DE", certifications: ["ISO9001"], slots: [(1, 100, 1)]),
            .init(name: "Uncertified", slots: [(1, 100, 1)]),
            .init(name: "Expensive", certifications: ["ISO9001"], slots: [(1, 100, 99)]),
            .init(name: "TooLate", leadDays: 10, certifications: ["ISO9001"], slots: [(1, 100, 1)]),
            .init(name: "Full", certifications: ["ISO9001"], slots: [(1, 0, 1)]),
            .init(name: "Crumbs", certifications: ["ISO9001"], slots: [(2, 3, 1)]),           // less than min_lot
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let order = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"],
            json: OrderSubmitTests.order(due: 4, quantity: 50, extra: ",\"regions\":[\"CN-GD\"],\"certifications\":[\"ISO9001\"],\"max_unit_cost\":50,\"min_lot\":5"))
        #expect(order.json["status"] as? String == "scheduled")
        let id = try #require(order.json["id"] as? String)
        let explain = try await client.send("GET", "/v1/orders/\(id)/explain", headers: ["Authorization": "Bearer \(key)"])
        #expect(explain.status == 200)
        let candidates = try #require(explain.json["candidates"] as? [[String: Any]])
        var reasons: [String: String] = [:]
        for candidate in candidates {
            reasons[candidate["name"] as! String] = (candidate["used"] as? Bool == true) ? "used" : (candidate["reason"] as? String ?? "?")
        }
        #expect(reasons == [
            "Used": "used", "Pricier": "cost", "Inactive": "inactive", "Elsewhere": "region", "Uncertified": "certification",
            "Expensive": "price", "TooLate": "deadline", "Full": "capacity_full", "Crumbs": "minimum_lot",
        ])
        try await server.stop()
    }

    @Test func explainNamesTheSplitLimitWhenShort() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "One", slots: [(1, 10, 1)]),
            .init(name: "Two", slots: [(1, 10, 2)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let order = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"],
                                          json: OrderSubmitTests.order(due: 3, quantity: 20, extra: ",\"max_factories\":1"))
        #expect(order.json["status"] as? String == "partial")
        let explain = try await client.send("GET", "/v1/orders/\(order.json["id"] as! String)/explain", headers: ["Authorization": "Bearer \(key)"])
        let candidates = try #require(explain.json["candidates"] as? [[String: Any]])
        #expect(candidates.first { $0["name"] as? String == "Two" }?["reason"] as? String == "split_limit")
        #expect((explain.json["shortfall"] as? [String: Any])?["reason"] as? String == "split_limit")
        try await server.stop()
    }

    @Test func factorySeesAndConfirmsOnlyItsOwnWork() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", slots: [(1, 5, 1)]),
            .init(name: "B", slots: [(1, 5, 2)]),
        ])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let factoryA = try await server.issueKey(role: .factory, factoryID: network.factoryIDs["A"]!)
        let factoryB = try await server.issueKey(role: .factory, factoryID: network.factoryIDs["B"]!)
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        _ = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"], json: OrderSubmitTests.order(due: 3, quantity: 8))
        let aID = network.factoryIDs["A"]!.uuidString.lowercased()
        let listed = try await client.send("GET", "/v1/factories/\(aID)/allocations", headers: ["Authorization": "Bearer \(factoryA)"])
        #expect(listed.status == 200)
        let work = try #require(listed.json["items"] as? [[String: Any]])
        #expect(work.count == 1)
        #expect(work[0]["units"] as? Int == 5)
        #expect(work[0]["order_id"] as? String != nil)
        #expect(try await client.send("GET", "/v1/factories/\(aID)/allocations", headers: ["Authorization": "Bearer \(factoryB)"]).status == 404)
        #expect(try await client.send("GET", "/v1/factories/\(aID)/allocations", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        #expect(try await client.send("GET", "/v1/factories/\(aID)/allocations?from=2026-13-01", headers: ["Authorization": "Bearer \(admin)"]).status == 422)
        // The default end stops at the calendar's last day; an empty value is the same as none.
        let last = try await client.send("GET", "/v1/factories/\(aID)/allocations?from=9999-12-20&to=", headers: ["Authorization": "Bearer \(admin)"])
        #expect(last.status == 200)
        #expect(last.json["to"] as? String == "9999-12-31")

        let allocationID = try #require(work[0]["id"] as? String)
        #expect(try await client.send("POST", "/v1/allocations/\(allocationID)/confirm", headers: ["Authorization": "Bearer \(factoryB)"]).status == 404)
        #expect(try await client.send("POST", "/v1/allocations/\(allocationID)/confirm", headers: ["Authorization": "Bearer \(broker)"]).status == 403)
        for _ in 0..<2 {
            let confirmed = try await client.send("POST", "/v1/allocations/\(allocationID)/confirm", headers: ["Authorization": "Bearer \(factoryA)"])
            #expect(confirmed.status == 200)
            #expect(confirmed.json["status"] as? String == "confirmed")
        }
        #expect(try await client.send("POST", "/v1/allocations/999999/confirm", headers: ["Authorization": "Bearer \(factoryA)"]).status == 404)
        #expect(try await client.send("POST", "/v1/allocations/abc/confirm", headers: ["Authorization": "Bearer \(factoryA)"]).status == 404)
        try await server.stop()
    }
}
