import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Orders under concurrency: idempotency and races")
struct OrderConcurrencyTests {
    @Test func idempotencyKeyReplaysAndRefusesAnotherBody() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 100, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let body = OrderSubmitTests.order(due: 3, quantity: 10)
        let headers = ["Authorization": "Bearer \(key)", "Idempotency-Key": "order-42"]
        let first = try await client.send("POST", "/v1/orders", headers: headers, json: body)
        #expect(first.status == 201)
        let replay = try await client.send("POST", "/v1/orders", headers: headers, json: body)
        #expect(replay.status == 201)
        #expect(replay.body == first.body)
        #expect(replay.header("Idempotent-Replayed") == "true")
        let other = try await client.send("POST", "/v1/orders", headers: headers, json: OrderSubmitTests.order(due: 3, quantity: 11))
        #expect(other.status == 422)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 1)
        #expect(try await server.pool.query("SELECT sum(allocated) FROM capacity_slots")[0].decode(Int.self, 0) == 10)
        // Keys are per tenant: another broker may use the same key for its own order.
        let otherBroker = try await server.pool.query("INSERT INTO brokers (name) VALUES ('other') RETURNING id")[0].decode(UUID.self, 0)
        let otherKey = try await server.issueKey(role: .broker, brokerID: otherBroker)
        let theirs = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(otherKey)", "Idempotency-Key": "order-42"], json: body)
        #expect(theirs.status == 201)
        #expect(theirs.json["id"] as? String != first.json["id"] as? String)
        let bad = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)", "Idempotency-Key": String(repeating: "k", count: 300)], json: body)
        #expect(bad.status == 422)
        try await server.stop()
    }

    @Test func concurrentDuplicatesMakeExactlyOneOrder() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 1000, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let body = OrderSubmitTests.order(due: 3, quantity: 7)
        let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for _ in 0..<16 {
                group.addTask {
                    let response = try await server.client().send("POST", "/v1/orders",
                        headers: ["Authorization": "Bearer \(key)", "Idempotency-Key": "same"], json: body)
                    return (response.status, response.json["id"] as? String)
                }
            }
            return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0.0 == 201 || $0.0 == 409 })
        #expect(Set(statuses.compactMap { $0.0 == 201 ? $0.1 : nil }).count == 1)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 1)
        #expect(try await server.pool.query("SELECT sum(allocated) FROM capacity_slots")[0].decode(Int.self, 0) == 7)
        try await server.stop()
    }

    @Test func manyClientsOnScarceCapacityNeverOverbook() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "A", slots: [(1, 40, 5), (2, 40, 6)]),
            .init(name: "B", slots: [(1, 30, 7)]),
            .init(name: "C", setupCost: 20, slots: [(2, 25, 4)]),
        ])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for client in 0..<60 {
                group.addTask {
                    let connection = try server.client()
                    var mine: [String] = []
                    for round in 0..<2 {
                        let quantity = 3 + (client * 7 + round) % 9
                        let response = try await connection.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"],
                                                                  json: OrderSubmitTests.order(due: 3, quantity: quantity))
                        #expect(response.status == 201, "\(String(decoding: response.body, as: UTF8.self))")
                        if response.status == 201, let id = response.json["id"] as? String { mine.append(id) }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 120)
        #expect(Set(ids).count == ids.count)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == ids.count)
        // All 135 units are taken: demand (about 840) is far above capacity.
        #expect(try await server.pool.query("SELECT sum(allocated) FROM capacity_slots")[0].decode(Int.self, 0) == 135)
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
