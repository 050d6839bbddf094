import Foundation
import Testing
import WeftCore
import WeftStore
import WeftTestSupport

/// Order pooling end to end, against PostgreSQL: instant placement fills a batch of the order's
/// pool that is already open, an order's cost share falls as others join its batch, every route
/// answers one cost, the batches route agrees with the allocations, and the reports count
/// batches and what pooling saved.
@Suite("Pooling: open batches, cost shares, batches route, reports")
struct PoolingTests {
    /// "Near": batch 1,000 for up to 50 units, units at 8 on day 1. "Far": the same batch terms,
    /// units at 9 on day 2. Both setup 100.
    static func seed(_ server: TestServer) async throws -> NetworkFixture {
        try await NetworkFixture.seed(server.pool, [
            .init(name: "Near", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 8)]),
            .init(name: "Far", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(2, 100, 9)]),
        ]).0
    }

    static func body(quantity: Int, pool: String?, extra: String = "") -> String {
        let due = NetworkFixture.today.adding(days: 6)
        return #"{"capability":"pcb.fab","quantity":\#(quantity),"due_date":"\#(due)"\#(pool.map { #","pool":"\#($0)""# } ?? "")\#(extra)}"#
    }

    struct Client {
        let client: TestHTTPClient
        let key: String
        func send(_ method: String, _ path: String, json: String? = nil) async throws -> TestHTTPClient.Response {
            if let json { return try await client.send(method, path, headers: ["Authorization": "Bearer \(key)"], json: json) }
            return try await client.send(method, path, headers: ["Authorization": "Bearer \(key)"])
        }
        func cost(_ id: String) async throws -> Int? { try await send("GET", "/v1/orders/\(id)").json["cost"] as? Int }
    }

    @Test func aSecondOrderJoinsTheOpenBatchAndBothShareItsCost() async throws {
        let server = try await TestServer.start()
        // "Near" (CN-GD) makes at 9, "Far" (VN-SG) at 8, both on day 1, both 1,000 a batch.
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Near", region: "CN-GD", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 9)]),
            .init(name: "Far", region: "VN-SG", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 8)]),
        ])
        let broker = Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        let near = network.factoryIDs["Near"]!.uuidString.lowercased(), far = network.factoryIDs["Far"]!.uuidString.lowercased()

        // A may only be made in CN-GD: it opens a batch at Near, 20 × 9 + setup 100 + one batch 1,000.
        let a = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: 20, pool: "fr4.2l.hasl", extra: #","regions":["CN-GD"]"#))
        #expect(a.status == 201, "\(a.text)")
        let aID = try #require(a.json["id"] as? String)
        #expect(a.json["cost"] as? Int == 180 + 100 + 1000)
        #expect((a.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String } == [near])

        // B, same pool and region: it joins A's batch and pays its share, ⌊1,000 × 10/30⌋ = 333
        // (the remainder goes to A, the larger); the quote says the same. (Joining an open batch
        // where units are dearer: PoolingPlacementTests.)
        let quote = try await broker.send("POST", "/v1/quotes", json: Self.body(quantity: 10, pool: "fr4.2l.hasl", extra: #","regions":["CN-GD"]"#))
        #expect(quote.status == 200, "\(quote.text)")
        #expect((quote.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String } == [near])
        #expect(quote.json["cost"] as? Int == 90 + 100 + 333)
        let b = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: 10, pool: "fr4.2l.hasl", extra: #","regions":["CN-GD"]"#))
        #expect(b.status == 201, "\(b.text)")
        let bID = try #require(b.json["id"] as? String)
        #expect((b.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String } == [near])
        #expect(b.json["cost"] as? Int == 90 + 100 + 333)
        // A's cost fell: 180 + 100 + 667.
        #expect(try await broker.cost(aID) == 180 + 100 + 667)
        #expect(try await broker.cost(bID) == 90 + 100 + 333)

        // C has no pool: it opens a batch of its own where that is cheapest, at full cost.
        let c = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: 10, pool: nil))
        #expect(c.status == 201)
        let cID = try #require(c.json["id"] as? String)
        #expect((c.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String } == [far])
        #expect(c.json["cost"] as? Int == 80 + 100 + 1000)
        // D, another pool, made only in CN-GD: its own batch at Near, beside A's and B's.
        let d = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: 10, pool: "fr4.4l.enig", extra: #","regions":["CN-GD"]"#))
        #expect(d.json["cost"] as? Int == 90 + 100 + 1000)
        #expect(try await broker.cost(aID) == 180 + 100 + 667)

        // The list agrees with GET for every order (setups and shares included).
        let list = try await broker.send("GET", "/v1/orders?limit=10")
        var listed: [String: Int] = [:]
        for item in list.items { listed[item["id"] as! String] = item["cost"] as? Int }
        for id in [aID, bID, cID] { #expect(listed[id] == (try await broker.cost(id)), "\(id)") }
        #expect(listed.count == 4)

        // Explain names the batch A joined and who shares it.
        let explained = try await broker.send("GET", "/v1/orders/\(aID)/explain")
        let pooling = try #require(explained.json["pooling"] as? [String: Any], "\(explained.text)")
        let joined = try #require(pooling["joined"] as? [[String: Any]])
        #expect(joined.count == 1)
        #expect(joined.first?["factory_id"] as? String == near && joined.first?["other_orders"] as? Int == 1)
        #expect(joined.first?["pool_units"] as? Int == 30 && joined.first?["fill"] as? Double == 0.6)

        // E, same pool but capped at 8 a unit: the open batch at Near (9) is too dear, and
        // explain says so.
        let e = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: 5, pool: "fr4.2l.hasl", extra: #","max_unit_cost":8"#))
        #expect((e.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String } == [far])
        let eExplained = try await broker.send("GET", "/v1/orders/\(e.json["id"] as! String)/explain")
        let notJoined = try #require((eExplained.json["pooling"] as? [String: Any])?["not_joined"] as? [[String: Any]], "\(eExplained.text)")
        #expect(notJoined.count == 1)
        #expect(notJoined.first?["factory_id"] as? String == near && notJoined.first?["reason"] as? String == "price")
        #expect(notJoined.first?["pool_units"] as? Int == 30 && notJoined.first?["room"] as? Int == 20)

        // Cancelling B gives A its whole batch back.
        #expect(try await broker.send("POST", "/v1/orders/\(bID)/cancel").status == 200)
        #expect(try await broker.cost(aID) == 180 + 100 + 1000)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func batchesRouteAgreesWithTheAllocations() async throws {
        let server = try await TestServer.start()
        let network = try await Self.seed(server)
        let broker = Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        var ids: [String] = []
        for (quantity, pool) in [(20, "fr4.2l.hasl"), (10, "fr4.2l.hasl"), (45, "fr4.2l.hasl"), (10, nil)] as [(Int, String?)] {
            let response = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: quantity, pool: pool))
            #expect(response.status == 201, "\(response.text)")
            ids.append(try #require(response.json["id"] as? String))
        }
        let near = network.factoryIDs["Near"]!
        let admin = try await server.issueKey(role: .admin)
        let response = try await server.client().send("GET", "/v1/factories/\(near.uuidString.lowercased())/batches?capability=pcb.fab",
                                                      headers: ["Authorization": "Bearer \(admin)"])
        #expect(response.status == 200, "\(response.text)")
        let batches = try #require(response.json["batches"] as? [[String: Any]])

        // What the allocations say, grouped by hand: (day, pool or order) → units per order.
        var expected: [String: [String: Int]] = [:]
        for row in try await server.pool.query("""
            SELECT s.day, o.pool, a.order_id, a.units FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
              JOIN orders o ON o.id = a.order_id WHERE s.factory_id = $1
            """, near) {
            let key = "\(try row.decode(Day.self, 0).iso)|\(try row.decode(String?.self, 1) ?? "order:\(try row.decode(UUID.self, 2))")"
            expected[key, default: [:]][try row.decode(UUID.self, 2).uuidString.lowercased()] = try row.decode(Int.self, 3)
        }
        #expect(!expected.isEmpty)
        var seen: [String: [String: Int]] = [:]
        for batch in batches {
            let orders = try #require(batch["orders"] as? [[String: Any]])
            let pool = batch["pool"] as? String
            let key = "\(batch["date"] as! String)|\(pool ?? "order:\((orders.first?["order_id"] as? String ?? "").uppercased())")"
            var members: [String: Int] = [:]
            for order in orders { members[order["order_id"] as! String] = order["units"] as? Int }
            seen[key] = members
            let units = members.values.reduce(0, +)
            #expect(batch["units"] as? Int == units)
            #expect(batch["batch_units"] as? Int == 50)
            #expect(batch["batches"] as? Int == (units + 49) / 50)
            #expect(batch["cost"] as? Int == (units + 49) / 50 * 1000)
            let fill = try #require(batch["fill"] as? Double)
            #expect(abs(fill - Double(units) / Double((units + 49) / 50 * 50)) < 0.0001)
            #expect(pool != nil || orders.count == 1)
            // Order ids only: nothing about brokers.
            #expect(Set(orders.flatMap(\.keys)) == ["order_id", "units"])
        }
        #expect(seen == expected)
        // The three pooled orders' 75 units need two batches of 50 wherever they all went.
        let pooled = batches.filter { $0["pool"] as? String == "fr4.2l.hasl" }
        #expect(pooled.reduce(0) { $0 + ($1["units"] as! Int) } <= 75)

        // The factory sees its own batches; another factory's key gets 404, like a missing one.
        let nearKey = try await server.issueKey(role: .factory, factoryID: near)
        let own = try await server.client().send("GET", "/v1/factories/\(near.uuidString.lowercased())/batches",
                                                 headers: ["Authorization": "Bearer \(nearKey)"])
        #expect(own.status == 200 && (own.json["batches"] as? [Any])?.count == batches.count)
        let far = try await server.client().send("GET", "/v1/factories/\(network.factoryIDs["Far"]!.uuidString.lowercased())/batches",
                                                 headers: ["Authorization": "Bearer \(nearKey)"])
        #expect(far.status == 404)
        let bad = try await server.client().send("GET", "/v1/factories/\(near.uuidString.lowercased())/batches?capability=PCB&to=2020-01-01&x=1",
                                                 headers: ["Authorization": "Bearer \(admin)"])
        #expect(bad.status == 422)
        #expect(bad.hasError("capability", "capability code") && bad.hasError("x", "unknown parameter"))
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func dashboardShowsThePoolsEachFactoryMakesTogether() async throws {
        let server = try await TestServer.start()
        let network = try await Self.seed(server)
        let broker = Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        for (quantity, pool) in [(20, "fr4.2l.hasl"), (10, "fr4.2l.hasl"), (10, nil)] as [(Int, String?)] {
            #expect(try await broker.send("POST", "/v1/orders", json: Self.body(quantity: quantity, pool: pool)).status == 201)
        }
        let admin = try await server.issueKey(role: .admin)
        let token = try #require(try await DashboardTests.signIn(server, key: admin).1)
        let page = try await DashboardTests.page(server, "/dashboard/batches", token: token)
        #expect(page.status == 200)
        let html = page.text
        #expect(html.contains("aria-current=\"page\">Batches</a>"))
        // One row for the pool (2 orders, 30 units, 60 % of one batch of 50), one for the order alone.
        let day = NetworkFixture.today.adding(days: 1).iso
        #expect(html.contains("<tr><td>\(day)</td><td>Near</td><td>pcb.fab</td><td><strong>fr4.2l.hasl</strong></td><td class=\"num\">2</td><td class=\"num\">30</td><td class=\"num\">1</td><td class=\"num\">60 %</td>"), "\(html)")
        #expect(html.contains("<td>one order</td><td class=\"num\">1</td><td class=\"num\">10</td><td class=\"num\">1</td><td class=\"num\">20 %</td>"))
        let empty = try await DashboardTests.page(server, "/dashboard/batches?capability=sewing", token: token)
        #expect(empty.status == 200 && empty.text.contains("No batches in these days"))
        let bad = try await DashboardTests.page(server, "/dashboard/batches?capability=PCB", token: token)
        #expect(bad.status == 422)
        try await server.stop()
    }

    @Test func reportsCountBatchesAndWhatPoolingSaved() async throws {
        let server = try await TestServer.start()
        let network = try await Self.seed(server)
        let broker = Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        // A (20) and B (10) share one batch at Near; C (10, no pool) has its own there.
        for (quantity, pool) in [(20, "fr4.2l.hasl"), (10, "fr4.2l.hasl"), (10, nil)] as [(Int, String?)] {
            let response = try await broker.send("POST", "/v1/orders", json: Self.body(quantity: quantity, pool: pool))
            #expect(response.status == 201)
            #expect((response.json["allocations"] as? [[String: Any]])?.first?["factory_id"] as? String
                    == network.factoryIDs["Near"]!.uuidString.lowercased())
        }
        let admin = Client(client: try server.client(), key: try await server.issueKey(role: .admin))
        let utilization = try await admin.send("GET", "/v1/reports/utilization")
        #expect(utilization.status == 200)
        let totals = try #require(utilization.json["totals"] as? [String: Any])
        #expect(totals["batches"] as? Int == 2)
        #expect(totals["mean_fill"] as? Double == 0.4) // (30 + 10) ÷ (50 + 50)
        let rows = try #require(utilization.json["rows"] as? [[String: Any]])
        let nearRow = try #require(rows.first { $0["factory_name"] as? String == "Near" })
        #expect(nearRow["batches"] as? Int == 2)
        let farRow = try #require(rows.first { $0["factory_name"] as? String == "Far" })
        #expect(farRow["batches"] as? Int == 0 && farRow["mean_fill"] is NSNull)

        let orders = try await admin.send("GET", "/v1/reports/orders")
        let pooling = try #require(orders.json["pooling"] as? [String: Any])
        #expect(pooling["batch_cost_paid"] as? Int == 2000)
        #expect(pooling["batch_cost_alone"] as? Int == 3000)
        #expect(pooling["saved"] as? Int == 1000)
        let cost = try #require((orders.json["cost_by_capability"] as? [[String: Any]])?.first)
        #expect(cost["batch_cost_total"] as? Int == 2000)
        // The report's total is the sum of the orders' own costs.
        var sum = 0
        for item in try await admin.send("GET", "/v1/orders").items { sum += item["cost"] as? Int ?? 0 }
        #expect(cost["total_cost"] as? Int == sum)

        // CSV carries the same figures.
        let csv = try await server.client().send("GET", "/v1/reports/orders", headers: ["Authorization": "Bearer \(admin.key)", "Accept": "text/csv"])
        #expect(csv.text.contains("pooling,,saved,1000\r\n"))
        #expect(csv.text.contains("pooling,pcb.fab,batch_cost_paid,2000\r\n"))
        let utilizationCSV = try await server.client().send("GET", "/v1/reports/utilization?group_by=capability",
                                                            headers: ["Authorization": "Bearer \(admin.key)", "Accept": "text/csv"])
        #expect(utilizationCSV.text.hasPrefix("capability,factories,slots,capacity,allocated,free,utilization,batches,mean_fill\r\n"))
        #expect(utilizationCSV.text.contains("pcb.fab,2,2,200,40,160,0.2,2,0.4\r\n"))
        try await server.stop()
    }
}
