import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// The pessimistic way a submission falls back to after repeated refusals (many requests
/// fighting over the last units of a few slots): it must place exactly as the usual way does.
@Suite("Order booking under locks, the fallback after repeated refusals")
struct OrderBookingUnderLocksTests {
    @Test func placesLikeTheUsualWayAndReplaysItsKey() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Cheap", setupCost: 100, slots: [(1, 60, 10), (2, 60, 10)]),
            .init(name: "Dear", setupCost: 100, slots: [(1, 100, 30)]),
            .init(name: "Late", leadDays: 9, slots: [(1, 500, 1)]),
        ])
        let body = Array(OrderSubmitTests.order(due: 5, quantity: 150).utf8)
        let input = try OrderInput.parse(body)
        let asOf = Day.today
        let submission = OrderBooking.Submission(input: input, brokerID: network.brokerID, releaseDate: asOf, asOf: asOf,
                                                 idempotency: (tenant: "test", key: "k-1", requestHash: sha256(body)))
        let booking = OrderBooking(context: server.app.context)
        let id = UUID()
        let model = OrderPlacer.model(input, id: id, releaseDate: asOf)
        let first = try await booking.submitUnderLocks(submission, id: id, model: model)
        #expect(first.status == 201 && !first.replayed)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any])
        var byFactory: [String: Int] = [:]
        for allocation in (json["allocations"] as? [[String: Any]]) ?? [] {
            byFactory[allocation["factory_id"] as! String, default: 0] += allocation["units"] as! Int
        }
        #expect(byFactory == [network.factoryIDs["Cheap"]!.uuidString.lowercased(): 120, network.factoryIDs["Dear"]!.uuidString.lowercased(): 30])
        #expect(json["cost"] as? Int == 120 * 10 + 30 * 30 + 200)
        let again = try await booking.submitUnderLocks(submission, id: UUID(), model: model)
        #expect(again.replayed && again.body == first.body)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 1)
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
