import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore
import Synchronization
import WeftTestSupport

@Suite("Schedule runs under concurrency: conflicts at write time, locks, abandoned runs")
struct RunConcurrencyTests {
    /// A at 10 a unit and B at 50, 100 units each on day 1; O (60 units) sits at B. A run moves
    /// O to A, unless A's room goes to somebody else first.
    struct Tight {
        var network: NetworkFixture
        var order: UUID
        var a: UUID { network.factoryIDs["A"]! }
        var b: UUID { network.factoryIDs["B"]! }

        static func seed(_ pool: PostgresPool) async throws -> Tight {
            let (network, _) = try await NetworkFixture.seed(pool, [
                .init(name: "A", slots: [(1, 100, 10)]),
                .init(name: "B", slots: [(1, 100, 50)]),
            ])
            let order = try await RunSeed.order(pool, broker: network.brokerID, quantity: 60, due: 3,
                                                allocations: [(network.factoryIDs["B"]!, 1, 60, false)])
            return Tight(network: network, order: order)
        }
    }

    @Test func anOrderAndACapacityChangeMadeWhileSolvingAreNeverLostOrOverbooked() async throws {
        let server = try await RunServer.start()
        let tight = try await Tight.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: tight.network.brokerID)
        // Between solving and writing: a broker takes 80 of A's 100 units, and B's capacity
        // is raised. The plan (O's 60 units into A) no longer fits.
        let placed = Mutex<[String: Int]>([:])
        server.gate.set { _, _, attempt in
            guard attempt == 1 else { return }
            let client = try! server.client()
            let order = try! await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"],
                                               json: #"{"capability":"pcb.fab","quantity":80,"due_date":"\#(NetworkFixture.today.adding(days: 3).iso)"}"#)
            #expect(order.status == 201)
            placed.withLock { $0[order.json["id"] as! String] = order.json["allocated_units"] as? Int }
            let capacity = try! await client.send("PUT", "/v1/factories/\(tight.b.uuidString.lowercased())/capacity",
                                                  headers: ["Authorization": "Bearer \(admin)"],
                                                  json: #"{"slots":[{"capability":"pcb.fab","date":"\#(NetworkFixture.today.adding(days: 1).iso)","units":120,"unit_cost":50}]}"#)
            #expect(capacity.status == 200)
        }
        let run = try await server.run(admin, #"{"time_limit_ms":1000}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let result = try #require(run.result("pcb.fab"))
        #expect(result["attempts"] as? Int == 2)           // the first plan met the change
        #expect(result["outcome"] as? String == "written")
        #expect((result["note"] as? String)?.contains("capacity") == true)

        // The new order kept everything it got; O kept its 60 units, 20 of them now at A.
        let (id, units) = try #require(placed.withLock { $0.first })
        #expect(units == 80)
        let stored = try await server.pool.query("SELECT status, allocated_units FROM orders WHERE id = $1", UUID(uuidString: id)!)[0]
        #expect(try stored.decode(String.self, 0) == "scheduled")
        #expect(try stored.decode(Int.self, 1) == 80)
        #expect(try await RunSeed.units(server.pool, order: UUID(uuidString: id)!) == [tight.a: 80])
        #expect(try await RunSeed.units(server.pool, order: tight.order) == [tight.a: 20, tight.b: 40])
        #expect(try await server.pool.query("SELECT units FROM capacity_slots WHERE factory_id = $1", tight.b)[0].decode(Int.self, 0) == 120)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func anOrderCancelledWhileSolvingStaysCancelled() async throws {
        let server = try await RunServer.start()
        let tight = try await Tight.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        server.gate.set { _, _, attempt in
            guard attempt == 1 else { return }
            let cancelled = try! await server.client().send("POST", "/v1/orders/\(tight.order.uuidString.lowercased())/cancel",
                                                            headers: ["Authorization": "Bearer \(admin)"])
            #expect(cancelled.status == 200)
        }
        let run = try await server.run(admin, #"{"time_limit_ms":300}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let result = try #require(run.result("pcb.fab"))
        #expect(result["attempts"] as? Int == 2)
        #expect(result["outcome"] as? String == "unchanged")   // solved again: nothing left to move
        #expect((result["note"] as? String)?.contains(tight.order.uuidString.lowercased()) == true)
        let order = try await server.pool.query("SELECT status, allocated_units FROM orders WHERE id = $1", tight.order)[0]
        #expect(try order.decode(String.self, 0) == "cancelled")
        #expect(try order.decode(Int.self, 1) == 0)
        #expect(try await server.pool.query("SELECT count(*) FROM allocations")[0].decode(Int.self, 0) == 0)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func aCapabilityThatConflictsTwiceIsSkippedUnwritten() async throws {
        let server = try await RunServer.start()
        let tight = try await Tight.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: tight.network.brokerID)
        // Before each attempt, a broker takes room at A: all but 10 units the first time (so
        // the second plan still wants A), the rest the second time.
        server.gate.set { _, _, attempt in
            let free = try! await server.pool.query("SELECT units - allocated FROM capacity_slots WHERE factory_id = $1", tight.a)[0].decode(Int.self, 0)
            let take = attempt == 1 ? free - 10 : free
            let order = try! await server.client().send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"],
                json: #"{"capability":"pcb.fab","quantity":\#(take),"due_date":"\#(NetworkFixture.today.adding(days: 3).iso)"}"#)
            #expect(order.json["allocated_units"] as? Int == take)
        }
        let run = try await server.run(admin, #"{"time_limit_ms":300}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let result = try #require(run.result("pcb.fab"))
        #expect(result["outcome"] as? String == "skipped")
        #expect(result["attempts"] as? Int == 2)
        #expect(run["moved"] as? Int == 0)
        #expect(run.score("score_after")?.cost == run.score("score_before")?.cost)
        let runID = try #require(UUID(uuidString: run["id"] as? String ?? ""))
        #expect(try await server.pool.query("SELECT count(*) FROM allocations WHERE run_id = $1", runID)[0].decode(Int.self, 0) == 0)
        #expect(try await RunSeed.units(server.pool, order: tight.order) == [tight.b: 60])
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func ordersAndCapacityChangesFiredDuringASolveAreAllKept() async throws {
        let server = try await RunServer.start()
        // A wider network so the search has work to do for its whole second.
        var factories: [NetworkFixture.FactorySpec] = []
        for f in 0..<12 {
            factories.append(.init(name: "F\(f)", setupCost: Int64(50 * (f % 4)), slots: (1...6).map { ($0, 40 + (f * 7 + $0 * 3) % 30, Int64(10 + (f * 13 + $0 * 5) % 40)) }))
        }
        let (network, _) = try await NetworkFixture.seed(server.pool, factories)
        let dearest = network.factoryIDs["F0"]!
        for index in 0..<40 {
            try await RunSeed.order(server.pool, broker: network.brokerID, quantity: 5 + index % 17, due: 7, minLot: 1 + index % 3,
                                    maxFactories: 1 + index % 4, priority: 1 + index % 5,
                                    allocations: index % 3 == 0 ? [(dearest, 1 + index % 6, 5, false)] : [])
        }
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let before = try await server.pool.query("SELECT id, allocated_units FROM orders").reduce(into: [UUID: Int]()) {
            $0[try $1.decode(UUID.self, 0)] = try $1.decode(Int.self, 1)
        }
        var current: [Int] = []
        for f in 1...4 {
            current.append(try await server.pool.query("SELECT units FROM capacity_slots WHERE factory_id = $1 AND day = $2",
                                                      network.factoryIDs["F\(f)"]!, NetworkFixture.today.adding(days: 2))[0].decode(Int.self, 0) + 20)
        }
        let raised = current
        let accepted = try await server.post(admin, #"{"time_limit_ms":1000,"seed":3}"#)
        #expect(accepted.status == 202)
        let id = try #require(accepted.json["id"] as? String)
        // Orders and capacity changes while the run solves (and perhaps writes).
        let submitted = try await withThrowingTaskGroup(of: [(String, Int)].self) { group in
            for worker in 0..<3 {
                group.addTask {
                    let client = try server.client()
                    var mine: [(String, Int)] = []
                    for round in 0..<4 {
                        let response = try await client.send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(broker)"],
                            json: #"{"capability":"pcb.fab","quantity":\#(10 + worker * 5 + round),"due_date":"\#(NetworkFixture.today.adding(days: 7).iso)"}"#)
                        #expect(response.status == 201)
                        if let id = response.json["id"] as? String { mine.append((id, response.json["allocated_units"] as? Int ?? -1)) }
                        try await Task.sleep(for: .milliseconds(60))
                    }
                    return mine
                }
            }
            group.addTask {
                let client = try server.client()
                for round in 0..<4 {
                    // Raising is always accepted: capacity a run must not undo.
                    let factory = network.factoryIDs["F\(1 + round)"]!
                    let response = try await client.send("PUT", "/v1/factories/\(factory.uuidString.lowercased())/capacity", headers: ["Authorization": "Bearer \(admin)"],
                        json: #"{"slots":[{"capability":"pcb.fab","date":"\#(NetworkFixture.today.adding(days: 2).iso)","units":\#(raised[round]),"unit_cost":12}]}"#)
                    #expect(response.status == 200)
                    try await Task.sleep(for: .milliseconds(80))
                }
                return []
            }
            return try await group.reduce(into: [(String, Int)]()) { $0 += $1 }
        }
        let run = try await server.finished(admin, id)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        #expect(submitted.count == 12)
        // Nothing lost: every accepted order is there with at least what it was given, every
        // older order with at least what it had, and the raised capacity stands.
        for (order, units) in submitted {
            let row = try await server.pool.query("SELECT status, allocated_units FROM orders WHERE id = $1", UUID(uuidString: order)!)
            #expect(row.count == 1)
            #expect(try row[0].decode(String.self, 0) != "cancelled")
            #expect(try row[0].decode(Int.self, 1) >= units)
        }
        for (order, units) in before {
            let now = try await server.pool.query("SELECT allocated_units FROM orders WHERE id = $1", order)[0].decode(Int.self, 0)
            #expect(now >= units, "order \(order) lost units")
        }
        for (round, units) in raised.enumerated() {
            let stored = try await server.pool.query("SELECT units FROM capacity_slots WHERE factory_id = $1 AND day = $2",
                                                     network.factoryIDs["F\(1 + round)"]!, NetworkFixture.today.adding(days: 2))[0].decode(Int.self, 0)
            #expect(stored == units)
        }
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
