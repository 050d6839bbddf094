import Foundation
import Testing
import WeftCore
import WeftStore

/// Pooled and plain orders racing for scarce capacity. Orders without an Idempotency-Key book in
/// one autocommitted statement (a pooled one then reads its batch partners, autocommitted too).
/// Whatever path each took, nothing is overbooked, every order keeps its pool, and the pool
/// units per slot match the allocations.
@Suite("Pooling under concurrency: pooled and plain orders on scarce capacity")
struct PoolingConcurrencyTests {
    @Test func pooledAndPlainOrdersWithoutKeysNeverOverbook() async throws {
        let server = try await TestServer.start()
        let network = try await PoolingTests.seed(server)  // 200 units: Near 100 on day 1, Far 100 on day 2
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let pools: [String?] = ["fr4.2l.hasl", nil, "fr4.4l.enig"]
        let answers = try await withThrowingTaskGroup(of: [(id: String, pool: String?, allocated: Int)].self) { group in
            for client in 0..<30 {
                group.addTask {
                    let connection = try server.client()
                    var mine: [(id: String, pool: String?, allocated: Int)] = []
                    for round in 0..<3 {
                        let pool = pools[(client + round) % pools.count]
                        let quantity = 3 + (client * 5 + round) % 9
                        let response = try await connection.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)"],
                                                                  json: PoolingTests.body(quantity: quantity, pool: pool))
                        #expect(response.status == 201, "\(response.text)")
                        guard response.status == 201, let id = response.json["id"] as? String else { continue }
                        let allocated = (response.json["allocations"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["units"] as? Int ?? 0) }
                        mine.append((id, pool, allocated))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [(id: String, pool: String?, allocated: Int)]()) { $0 += $1 }
        }
        #expect(answers.count == 90)
        #expect(Set(answers.map(\.id)).count == answers.count)
        // Demand (about 630 units) is far above the 200 there are: all of them are taken, no more.
        #expect(try await server.pool.query("SELECT sum(allocated) FROM capacity_slots")[0].decode(Int.self, 0) == 200)
        var stored: [String: (pool: String?, allocated: Int)] = [:]
        for row in try await server.pool.query("SELECT id, pool, allocated_units FROM orders") {
            stored[try row.decode(UUID.self, 0).uuidString.lowercased()] = (try row.decode(String?.self, 1), try row.decode(Int.self, 2))
        }
        #expect(stored.count == answers.count)
        for answer in answers {
            // What the client was told is what was stored, pool included.
            #expect(stored[answer.id]?.pool == answer.pool, "\(answer.id)")
            #expect(stored[answer.id]?.allocated == answer.allocated, "\(answer.id)")
        }
        #expect(answers.contains { $0.pool != nil && $0.allocated > 0 } && answers.contains { $0.pool == nil && $0.allocated > 0 })
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
