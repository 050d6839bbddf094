import Foundation
import Testing
import WeftCore
import WeftStore
import WeftTestSupport

/// Instant placement through the API fills a batch of the order's pool that is already open,
/// even where units cost more, because the open batch's room costs no batch.
@Suite("Pooling: instant placement fills open batches")
struct PoolingPlacementTests {
    @Test func anOpenBatchBeatsCheaperUnitsElsewhere() async throws {
        let server = try await TestServer.start()
        // "Near" (CN-GD) makes at 9, "Far" (VN-SG) at 8, both on day 1, both 1,000 a batch of 50.
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Near", region: "CN-GD", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 9)]),
            .init(name: "Far", region: "VN-SG", setupCost: 100, batchCost: 1000, batchUnits: 50, slots: [(1, 100, 8)]),
        ])
        let broker = PoolingTests.Client(client: try server.client(), key: try await server.issueKey(role: .broker, brokerID: network.brokerID))
        let near = network.factoryIDs["Near"]!.uuidString.lowercased(), far = network.factoryIDs["Far"]!.uuidString.lowercased()
        func factories(_ response: TestHTTPClient.Response) -> [String?]? {
            (response.json["allocations"] as? [[String: Any]])?.map { $0["factory_id"] as? String }
        }
        // A may only be made in CN-GD: it opens a batch at Near.
        let a = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 20, pool: "fr4.2l.hasl", extra: #","regions":["CN-GD"]"#))
        #expect(factories(a) == [near])
        // B, same pool, any region: alone, Far is cheaper (80 + 100 + 1,000 against 90 + 100 +
        // 1,000), but the room in A's batch adds no batch: Near adds 90 + 100. Quote and order agree.
        let quote = try await broker.send("POST", "/v1/quotes", json: PoolingTests.body(quantity: 10, pool: "fr4.2l.hasl"))
        #expect(factories(quote) == [near], "\(quote.text)")
        #expect(quote.json["added_cost"] as? Int == 90 + 100)
        #expect(quote.json["cost"] as? Int == 90 + 100 + 333)
        let b = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 10, pool: "fr4.2l.hasl"))
        #expect(factories(b) == [near], "\(b.text)")
        #expect(b.json["cost"] as? Int == 90 + 100 + 333)
        #expect(try await broker.cost(a.json["id"] as! String) == 180 + 100 + 667)
        // C has no pool: nothing to join, so the cheaper units win.
        let c = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 10, pool: nil))
        #expect(factories(c) == [far])
        // D, 25 of the pool: 20 more fit A's batch at Near, 5 would open a second: Near costs
        // 225 + 100 + 1,000 more, Far 200 + 100 + 1,000: Far.
        let d = try await broker.send("POST", "/v1/orders", json: PoolingTests.body(quantity: 25, pool: "fr4.2l.hasl"))
        #expect(factories(d) == [far], "\(d.text)")
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
