import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("A factory's allocations, paged")
struct AllocationPagingTests {
    @Test func everyAllocationExactlyOnceAcrossPages() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", slots: [(1, 20, 5), (2, 20, 4), (3, 20, 3)]),
        ])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        for quantity in [7, 9, 11, 13, 6, 8] {
            let placed = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"],
                                               json: OrderSubmitTests.order(due: 4, quantity: quantity))
            #expect(placed.status == 201)
        }
        let factory = network.factoryIDs["A"]!
        let expected = try await server.pool.query("""
            SELECT a.id FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id WHERE s.factory_id = $1 ORDER BY s.day, a.id
            """, factory).map { String(try $0.decode(Int64.self, 0)) }
        #expect(expected.count >= 7)   // three pages of three at most

        var seen: [String] = [], cursor: String?, pages = 0
        repeat {
            var target = "/v1/factories/\(factory.uuidString.lowercased())/allocations?from=\(NetworkFixture.today)&limit=3"
            if let cursor { target += "&cursor=\(cursor)" }
            let page = try await client.send("GET", target, headers: ["Authorization": "Bearer \(admin)"])
            #expect(page.status == 200)
            let items = try #require(page.json["items"] as? [[String: Any]])
            #expect(items.count <= 3)
            seen += items.compactMap { $0["id"] as? String }
            #expect(page.json.keys.contains("next_cursor"))
            cursor = page.json["next_cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 20
        #expect(seen == expected)
        #expect(pages == (expected.count + 2) / 3)

        for bad in ["nonsense", ListCursor(createdAt: Date(timeIntervalSince1970: 1_000), id: "12").encoded,
                    ListCursor(createdAt: Date(timeIntervalSince1970: 86_400), id: "x").encoded] {
            let refused = try await client.send("GET", "/v1/factories/\(factory.uuidString.lowercased())/allocations?cursor=\(bad)",
                                                headers: ["Authorization": "Bearer \(admin)"])
            #expect(refused.status == 422)
            #expect(refused.text.contains("cursor"))
        }
        let tooMany = try await client.send("GET", "/v1/factories/\(factory.uuidString.lowercased())/allocations?limit=501",
                                            headers: ["Authorization": "Bearer \(admin)"])
        #expect(tooMany.status == 422)
        try await server.stop()
    }
}
