import Foundation
import Testing
import WeftCore
import WeftStore
import WeftTestSupport

@Suite("Capacity: bulk upsert, all or nothing, and reading it back")
struct CapacityTests {
    static func days(from start: String, count: Int) -> [String] {
        let first = Day(iso: start)!
        return (0..<count).map { first.adding(days: $0).iso }
    }

    /// Seeds an allocation of `units` in the factory's slot on `day`, straight in SQL (orders
    /// arrive with another issue): a broker, an order, and the allocation row.
    static func allocate(_ pool: PostgresPool, factory: String, capability: String = "pcb.fab", day: String, units: Int) async throws {
        try await pool.transaction { connection in
            let broker = try connection.query("INSERT INTO brokers (name) VALUES ('seed') RETURNING id")[0].decode(UUID.self, 0)
            let order = try connection.query("""
                INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status)
                VALUES ($1, $2, 1000, '2031-12-31', '2030-01-01', 'partial') RETURNING id
                """, broker, capability)[0].decode(UUID.self, 0)
            let inserted = try connection.query("""
                INSERT INTO allocations (order_id, slot_id, units, unit_cost)
                SELECT $1, id, $2, unit_cost FROM capacity_slots WHERE factory_id = $3 AND capability = $4 AND day = $5
                """, order, units, UUID(uuidString: factory)!, capability, Day(iso: day)!)
            #expect(inserted.affectedRows == 1)
        }
    }

    @Test func upsertIsIdempotentAndReadsBackWithAllocatedAndFree() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 100, "smt.assembly": 50])
        let key = try await api.factoryKey(factory)
        let dates = Self.days(from: "2030-03-01", count: 30)
        let slots = dates.map { ("pcb.fab", $0, 100, 12) } + dates.map { ("smt.assembly", $0, 40, 3) }
        let path = "/v1/factories/\(factory)/capacity"

        let first = try await api.send("PUT", path, key: key, json: slotsBody(slots))
        #expect(first.status == 200, "\(first.text)")
        #expect(first.json["upserted"] as? Int == 60)
        #expect(first.json["created"] as? Int == 60)
        #expect((first.json["displaced_orders"] as? [Any])?.isEmpty == true)
        let read = try await api.send("GET", "\(path)?from=2030-03-01&to=2030-03-30", key: key)
        #expect(read.status == 200)
        let readSlots = try #require(read.json["slots"] as? [[String: Any]])
        #expect(readSlots.count == 60)
        // Ordered by capability, then date.
        #expect(readSlots.map { $0["capability"] as? String ?? "" } == Array(repeating: "pcb.fab", count: 30) + Array(repeating: "smt.assembly", count: 30))
        #expect(readSlots.prefix(30).map { $0["date"] as? String ?? "" } == dates)
        #expect(readSlots[0]["units"] as? Int == 100 && readSlots[0]["unit_cost"] as? Int == 12)
        #expect(readSlots[0]["allocated"] as? Int == 0 && readSlots[0]["free"] as? Int == 100)
        let stamps = try await api.server.pool.query("SELECT max(updated_at) FROM capacity_slots")[0].decode(Date.self, 0)

        // The same PUT again: nothing changes, not even updated_at.
        let second = try await api.send("PUT", path, key: key, json: slotsBody(slots))
        #expect(second.status == 200)
        #expect(second.json["upserted"] as? Int == 60 && second.json["unchanged"] as? Int == 60)
        #expect(second.json["created"] as? Int == 0 && second.json["updated"] as? Int == 0)
        let reread = try await api.send("GET", "\(path)?from=2030-03-01&to=2030-03-30", key: key)
        #expect(reread.text == read.text)
        #expect(try await api.server.pool.query("SELECT max(updated_at) FROM capacity_slots")[0].decode(Date.self, 0) == stamps)
        #expect(try await api.server.pool.query("SELECT count(*) FROM capacity_slots")[0].decode(Int.self, 0) == 60)

        // An allocation shows as allocated and reduces free; a capability filter narrows the read.
        try await Self.allocate(api.server.pool, factory: factory, day: "2030-03-02", units: 30)
        let one = try await api.send("GET", "\(path)?capability=pcb.fab&from=2030-03-02&to=2030-03-02", key: key)
        let slot = try #require((one.json["slots"] as? [[String: Any]])?.first)
        #expect((one.json["slots"] as? [Any])?.count == 1)
        #expect(slot["allocated"] as? Int == 30 && slot["free"] as? Int == 70 && slot["units"] as? Int == 100)

        // A partial change updates just what differs.
        let third = try await api.send("PUT", path, key: key, json: slotsBody([("pcb.fab", "2030-03-01", 100, 12), ("pcb.fab", "2030-03-02", 120, 12),
                                                                            ("pcb.fab", "2030-04-01", 5, 9)]))
        #expect(third.json["created"] as? Int == 1 && third.json["updated"] as? Int == 1 && third.json["unchanged"] as? Int == 1)
        try await api.stop()
    }

    @Test func concurrentUpsertsOnTheSameSlotsLeaveOneCompleteState() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 0, "smt.assembly": 0])
        let dates = Self.days(from: "2030-01-01", count: 400)
        let all = dates.flatMap { [("pcb.fab", $0), ("smt.assembly", $0)] }
        // Opposite orders make the two requests meet on their rows from both ends.
        let bodyX = slotsBody(all.map { ($0.0, $0.1, 10, 1) })
        let bodyY = slotsBody(all.reversed().map { ($0.0, $0.1, 20, 2) })
        let path = "/v1/factories/\(factory)/capacity"
        let (clientX, clientY) = (try api.server.client(), try api.server.client())
        var outcomes: Set<Int64> = []
        for round in 0..<6 {
            // Round 0 races two inserts of new rows; later rounds race updates of existing ones.
            async let x = api.send("PUT", path, key: api.adminKey, json: bodyX, on: clientX)
            async let y = api.send("PUT", path, key: api.adminKey, json: bodyY, on: clientY)
            let (responseX, responseY) = try await (x, y)
            #expect(responseX.status == 200 && responseY.status == 200, "round \(round): \(responseX.text) \(responseY.text)")
            let states = try await api.server.pool.query("""
                SELECT units, unit_cost, count(*) FROM capacity_slots GROUP BY units, unit_cost
                """)
            #expect(states.count == 1, "round \(round): a mix of both requests")
            #expect(try states[0].decode(Int.self, 2) == all.count)
            let units = try states[0].decode(Int64.self, 0)
            #expect(try states[0].decode(Int64.self, 1) == units / 10, "units and cost come from the same request")
            outcomes.insert(units)
        }
        #expect(outcomes.isSubset(of: [10, 20]))
        try await api.stop()
    }

    @Test func loweringBelowAllocatedIsRefusedNamingTheSlotsAndWritesNothing() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 0])
        let key = try await api.factoryKey(factory)
        let path = "/v1/factories/\(factory)/capacity"
        let initial = [("pcb.fab", "2030-01-01", 10, 5), ("pcb.fab", "2030-01-02", 10, 5), ("pcb.fab", "2030-01-03", 10, 5)]
        #expect(try await api.send("PUT", path, key: key, json: slotsBody(initial)).status == 200)
        try await Self.allocate(api.server.pool, factory: factory, day: "2030-01-01", units: 6)
        try await Self.allocate(api.server.pool, factory: factory, day: "2030-01-02", units: 4)
        let before = try await api.send("GET", "\(path)?from=2030-01-01&to=2030-12-31", key: key)

        let refused = try await api.send("PUT", path, key: key, json: slotsBody([
            ("pcb.fab", "2030-01-09", 50, 5),  // new
            ("pcb.fab", "2030-01-01", 5, 5),   // below the 6 allocated
            ("pcb.fab", "2030-01-02", 4, 7),   // exactly what is allocated: fine on its own
            ("pcb.fab", "2030-01-03", 99, 5),  // a raise
        ]))
        #expect(refused.status == 409, "\(refused.text)")
        #expect(refused.isProblem)
        #expect(refused.json["type"] as? String == "https://weft.dev/problems/capacity-below-allocated")
        #expect(refused.fieldErrors.count == 1)
        #expect(refused.hasError("slots[1].units", "is 5, but 6 units are already allocated in the 'pcb.fab' slot on 2030-01-01"))
        let conflict = try #require((refused.json["slots"] as? [[String: Any]])?.first)
        #expect(conflict["index"] as? Int == 1 && conflict["capability"] as? String == "pcb.fab" && conflict["date"] as? String == "2030-01-01")
        #expect(conflict["units"] as? Int == 5 && conflict["allocated"] as? Int == 6)
        #expect(refused.json["conflicting_slots"] as? Int == 1)
        #expect(refused.json["request_id"] as? String == refused.header("X-Request-Id"))

        // Nothing was written: not the new slot, not the raise, not the cost change.
        let after = try await api.send("GET", "\(path)?from=2030-01-01&to=2030-12-31", key: key)
        #expect(after.text == before.text)

        // Down to exactly the allocated units is allowed and leaves nothing free.
        let exact = try await api.send("PUT", path, key: key, json: slotsBody([("pcb.fab", "2030-01-01", 6, 5)]))
        #expect(exact.status == 200)
        let slot = try await api.send("GET", "\(path)?from=2030-01-01&to=2030-01-01", key: key)
        #expect((slot.json["slots"] as? [[String: Any]])?.first?["free"] as? Int == 0)
        try await api.stop()
    }

    @Test func slotsForCapabilitiesTheFactoryDoesNotOfferAre422AndNothingIsWritten() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 0])
        let path = "/v1/factories/\(factory)/capacity"
        let response = try await api.admin("PUT", path, json: slotsBody([
            ("pcb.fab", "2030-01-01", 1, 1), ("weaving", "2030-01-01", 1, 1), ("pcb.fab", "2030-01-02", 1, 1), ("cnc.milling", "2030-01-01", 1, 1),
        ]))
        #expect(response.status == 422)
        #expect(response.fieldErrors.map(\.field) == ["slots[1].capability", "slots[3].capability"])
        #expect(response.hasError("slots[1].capability", "'weaving' is not a capability of this factory (it offers 'pcb.fab')"))
        #expect(try await api.server.pool.query("SELECT count(*) FROM capacity_slots")[0].decode(Int.self, 0) == 0)
        try await api.stop()
    }

    @Test func readRangeDefaultsToAYearFromTodayAndIsCapped() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 0])
        let path = "/v1/factories/\(factory)/capacity"
        let today = Day(unixSeconds: Int64(Date().timeIntervalSince1970))
        #expect(try await api.admin("PUT", path, json: slotsBody([
            ("pcb.fab", today.adding(days: -1).iso, 1, 1), ("pcb.fab", today.iso, 2, 1),
            ("pcb.fab", today.adding(days: 365).iso, 3, 1), ("pcb.fab", today.adding(days: 366).iso, 4, 1),
        ])).status == 200)

        let defaults = try await api.admin("GET", path)
        #expect(defaults.status == 200)
        #expect(defaults.json["from"] as? String == today.iso)
        #expect(defaults.json["to"] as? String == today.adding(days: 365).iso)
        #expect((defaults.json["slots"] as? [[String: Any]])?.map { $0["units"] as? Int ?? 0 } == [2, 3])

        let longest = try await api.admin("GET", "\(path)?from=2030-01-01&to=2030-12-31")
        #expect(longest.status == 200)
        let tooLong = try await api.admin("GET", "\(path)?from=2030-01-01&to=2031-01-02")
        #expect(tooLong.status == 422)
        #expect(tooLong.hasError("to", "must be at most 366 days from 2030-01-01 (2031-01-01 at the latest)"))
        let backwards = try await api.admin("GET", "\(path)?from=2030-01-02&to=2030-01-01")
        #expect(backwards.hasError("to", "must be on or after from (2030-01-02)"))
        let endOfTime = try await api.admin("GET", "\(path)?from=9999-12-01")
        #expect(endOfTime.status == 200 && endOfTime.json["to"] as? String == "9999-12-31")
        let pastTo = try await api.admin("GET", "\(path)?to=2000-01-01")
        #expect(pastTo.status == 422 && pastTo.hasError("to", "defaults to today"))
        try await api.stop()
    }
}
