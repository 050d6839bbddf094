import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Orders: submit with instant placement, quote, cancel")
struct OrderSubmitTests {
    static func order(due: Int, quantity: Int, extra: String = "") -> String {
        "{\"capability\":\"pcb.fab\",\"quantity\":\(quantity),\"due_date\":\"\(NetworkFixture.today.adding(days: due))\"\(extra)}"
    }

    @Test func splitsAcrossFactoriesCheapestFirst() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Cheap", setupCost: 100, slots: [(1, 60, 10), (2, 60, 10)]),
            .init(name: "Dear", setupCost: 100, slots: [(1, 100, 30)]),
            .init(name: "Late", leadDays: 9, slots: [(1, 500, 1)]), // cannot deliver by day 5
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let response = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"],
                                             json: Self.order(due: 5, quantity: 150, extra: ",\"reference\":\"PO-1\""))
        #expect(response.status == 201)
        let body = response.json
        #expect(body["status"] as? String == "scheduled")
        #expect(body["allocated_units"] as? Int == 150)
        #expect(body["reference"] as? String == "PO-1")
        let allocations = try #require(body["allocations"] as? [[String: Any]])
        var byFactory: [String: Int] = [:]
        for allocation in allocations { byFactory[allocation["factory_id"] as! String, default: 0] += allocation["units"] as! Int }
        #expect(byFactory[network.factoryIDs["Cheap"]!.uuidString.lowercased()] == 120)
        #expect(byFactory[network.factoryIDs["Dear"]!.uuidString.lowercased()] == 30)
        #expect(byFactory[network.factoryIDs["Late"]!.uuidString.lowercased()] == nil)
        #expect(body["cost"] as? Int == 120 * 10 + 30 * 30 + 200)
        #expect(allocations.allSatisfy { $0["status"] as? String == "planned" && ($0["id"] as? String)?.isEmpty == false })

        // The order reads back the same, and capacity is taken.
        let id = try #require(body["id"] as? String)
        let fetched = try await client.send("GET", "/v1/orders/\(id)", headers: ["Authorization": "Bearer \(key)"])
        #expect(fetched.status == 200)
        #expect((fetched.json["allocations"] as? [Any])?.count == allocations.count)
        #expect(try await server.pool.query("SELECT sum(allocated) FROM capacity_slots")[0].decode(Int.self, 0) == 150)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func shortOrdersAreStoredWithTheReason() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Small", slots: [(1, 40, 10), (8, 500, 10)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let partial = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"], json: Self.order(due: 3, quantity: 100))
        #expect(partial.status == 201)
        #expect(partial.json["status"] as? String == "partial")
        #expect(partial.json["allocated_units"] as? Int == 40)
        let shortfall = try #require(partial.json["shortfall"] as? [String: Any])
        #expect(shortfall["units"] as? Int == 60)
        #expect(shortfall["reason"] as? String == "capacity_full")
        // Day 8 has room: the advice names a due date that serves it in full.
        let later = try #require(shortfall["later_due_date"] as? [String: Any])
        #expect(later["due_date"] as? String == NetworkFixture.today.adding(days: 8).iso)
        #expect(later["served_units"] as? Int == 100)

        let nothing = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"],
                                            json: Self.order(due: 3, quantity: 10, extra: ",\"regions\":[\"EU-DE\"]"))
        #expect(nothing.status == 201)
        #expect(nothing.json["status"] as? String == "unscheduled")
        #expect(nothing.json["allocated_units"] as? Int == 0)
        #expect((nothing.json["unscheduled_reason"] as? String)?.isEmpty == false)
        #expect((nothing.json["shortfall"] as? [String: Any])?["reason"] as? String == "no_eligible_slot")
        let stored = try await server.pool.query("SELECT status, unscheduled_reason FROM orders WHERE id = $1",
                                                 UUID(uuidString: nothing.json["id"] as! String)!)[0]
        #expect(try stored.decode(String.self, 0) == "unscheduled")
        #expect(try stored.decode(String?.self, 1) != nil)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func quoteBooksNothingAndMatchesTheOrder() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", setupCost: 50, slots: [(1, 30, 12), (2, 30, 11)]),
            .init(name: "B", setupCost: 500, slots: [(1, 100, 9)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let body = Self.order(due: 4, quantity: 50)
        let quote = try await client.send("POST", "/v1/quotes", headers: ["Authorization": "Bearer \(key)"], json: body)
        #expect(quote.status == 200)
        #expect(quote.json["status"] as? String == "scheduled")
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 0)
        #expect(try await server.pool.query("SELECT sum(allocated) FROM capacity_slots")[0].decode(Int.self, 0) == 0)
        let order = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"], json: body)
        #expect(order.json["cost"] as? Int == quote.json["cost"] as? Int)
        #expect(order.json["allocated_units"] as? Int == quote.json["allocated_units"] as? Int)
        try await server.stop()
    }

    @Test func cancelFreesCapacityAndIsHarmlessTwice() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 10, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let first = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"], json: Self.order(due: 3, quantity: 10))
        let id = try #require(first.json["id"] as? String)
        let blocked = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"], json: Self.order(due: 3, quantity: 10))
        #expect(blocked.json["status"] as? String == "unscheduled")
        for _ in 0..<2 {
            let cancelled = try await client.send("POST", "/v1/orders/\(id)/cancel", headers: ["Authorization": "Bearer \(key)"])
            #expect(cancelled.status == 200)
            #expect(cancelled.json["status"] as? String == "cancelled")
            #expect((cancelled.json["allocations"] as? [Any])?.isEmpty == true)
        }
        #expect(try await server.pool.query("SELECT allocated FROM capacity_slots")[0].decode(Int.self, 0) == 0)
        let again = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"], json: Self.order(due: 3, quantity: 10))
        #expect(again.json["status"] as? String == "scheduled")
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func ordersAreInvisibleToOtherTenants() async throws {
        let server = try await TestServer.start()
        let (network, brokers) = try await NetworkFixture.seed(server.pool, brokers: 2, [.init(name: "A", slots: [(1, 10, 5)])])
        let mine = try await server.issueKey(role: .broker, brokerID: brokers[0])
        let theirs = try await server.issueKey(role: .broker, brokerID: brokers[1])
        let admin = try await server.issueKey(role: .admin)
        let factory = try await server.issueKey(role: .factory, factoryID: network.factoryIDs["A"]!)
        let client = try server.client()
        let created = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(mine)"], json: Self.order(due: 3, quantity: 5))
        let id = try #require(created.json["id"] as? String)
        for path in ["/v1/orders/\(id)", "/v1/orders/\(id)/explain"] {
            #expect(try await client.send("GET", path, headers: ["Authorization": "Bearer \(theirs)"]).status == 404)
            #expect(try await client.send("GET", path, headers: ["Authorization": "Bearer \(admin)"]).status == 200)
            #expect(try await client.send("GET", path, headers: ["Authorization": "Bearer \(factory)"]).status == 403)
        }
        #expect(try await client.send("POST", "/v1/orders/\(id)/cancel", headers: ["Authorization": "Bearer \(theirs)"]).status == 404)
        let theirList = try await client.send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(theirs)"])
        #expect((theirList.json["items"] as? [Any])?.isEmpty == true)
        let myList = try await client.send("GET", "/v1/orders?status=scheduled", headers: ["Authorization": "Bearer \(mine)"])
        #expect((myList.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
        #expect(try await client.send("GET", "/v1/orders/not-a-uuid", headers: ["Authorization": "Bearer \(mine)"]).status == 404)
        try await server.stop()
    }

    @Test func badOrdersAreRefusedWithReasons() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 10, 5)])])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        let malformed = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"], json: "{\"capability\":")
        #expect(malformed.status == 400)
        let invalid = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"],
                                            json: "{\"capability\":\"PCB\",\"quantity\":0,\"due_dat\":\"2026-01-01\"}")
        #expect(invalid.status == 422)
        let fields = Set(((invalid.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String })
        #expect(fields.isSuperset(of: ["capability", "quantity", "due_dat"]))
        let past = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"], json: Self.order(due: -1, quantity: 5))
        #expect(past.status == 422)
        let noBroker = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(admin)"], json: Self.order(due: 3, quantity: 5))
        #expect(noBroker.status == 422)
        let unknownBroker = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(admin)"],
                                                  json: Self.order(due: 3, quantity: 5, extra: ",\"broker_id\":\"\(UUID().uuidString)\""))
        #expect(unknownBroker.status == 422)
        let onBehalf = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(admin)"],
                                             json: Self.order(due: 3, quantity: 5, extra: ",\"broker_id\":\"\(network.brokerID.uuidString)\""))
        #expect(onBehalf.status == 201)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 1)
        try await server.stop()
    }
}
