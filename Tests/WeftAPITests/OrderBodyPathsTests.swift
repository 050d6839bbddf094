import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// A submission is answered either from the placement cache or, after repeated refusals, under
/// locks from a fresh read. Both build the 201 body and the shortfall advice through shared
/// code; a client must not be able to tell which path placed its order.
@Suite("Order 201 body: the cache path and the under-locks path answer alike")
struct OrderBodyPathsTests {
    /// Only what is new per order: its id and times, and its allocation rows' ids.
    static func normalised(_ body: [UInt8]) throws -> NSDictionary {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        for key in ["id", "created_at", "updated_at"] { json.removeValue(forKey: key) }
        json["allocations"] = ((json["allocations"] as? [[String: Any]]) ?? []).map { allocation in
            allocation.filter { $0.key != "id" }
        }
        return json as NSDictionary
    }

    @Test func aShortSplitOrderGetsTheSameBodyEitherWay() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", setupCost: 100, slots: [(1, 40, 10), (2, 40, 10), (8, 100, 10)]), // day 8 is past due
            .init(name: "B", setupCost: 50, slots: [(1, 30, 20)]),
            .init(name: "Dear", slots: [(1, 50, 90)]), // above the price cap
        ])
        let body = Array(OrderSubmitTests.order(due: 5, quantity: 200, extra: ",\"max_unit_cost\":50,\"reference\":\"PO-7\"").utf8)
        let input = try OrderInput.parse(body)
        let asOf = Day.today
        let submission = OrderBooking.Submission(input: input, brokerID: network.brokerID, releaseDate: asOf, asOf: asOf, idempotency: nil)
        let booking = OrderBooking(context: server.app.context)

        let cached = try await booking.submit(submission)
        #expect(cached.status == 201)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(cached.body)) as? [String: Any])
        let allocations = (json["allocations"] as? [[String: Any]]) ?? []
        let a = network.factoryIDs["A"]!.lowercasedString, b = network.factoryIDs["B"]!.lowercasedString
        // Sorted by day, then factory id: day 1 holds both factories.
        #expect(allocations.map { $0["factory_id"] as? String } == [min(a, b), max(a, b), a])
        #expect(allocations.map { $0["units"] as? Int } == (a < b ? [40, 30, 40] : [30, 40, 40]))
        #expect(json["cost"] as? Int == 80 * 10 + 30 * 20 + 100 + 50)
        #expect(json["status"] as? String == "partial")
        let shortfall = try #require(json["shortfall"] as? [String: Any])
        #expect(shortfall["units"] as? Int == 90)
        #expect(shortfall["later_due_date"] != nil && shortfall["higher_price_cap"] != nil)

        // Free the capacity again so the other path sees the very same slots.
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let cancelled = try await server.client().send("POST", "/v1/orders/\(json["id"] as! String)/cancel",
                                                       headers: ["Authorization": "Bearer \(key)"])
        #expect(cancelled.status == 200)
        let id = UUID()
        let locked = try await booking.submitUnderLocks(submission, id: id, model: OrderPlacer.model(input, id: id, releaseDate: asOf))
        #expect(locked.status == 201)
        #expect(try Self.normalised(locked.body) == Self.normalised(cached.body))
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
