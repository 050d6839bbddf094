import Foundation
import Testing
import WeftCore
import WeftTestSupport
@testable import WeftStore

@Suite("Factory and capacity records")
struct FactoryCapacityRecordsTests {
    static func slot(_ capability: String, _ day: String, _ units: Int, _ cost: Int64 = 1) -> CapacitySlotInput {
        CapacitySlotInput(capability: Capability(capability)!, date: Day(iso: day)!, units: units, unitCost: cost)
    }

    static func factory(_ pool: PostgresPool, _ capabilities: [String] = ["pcb.fab", "sewing"], region: String = "CN-GD") async throws -> UUID {
        let input = FactoryInput(name: "F", region: region, lat: 1.5, leadDays: 2, certifications: ["ISO9001"],
                                 capabilities: capabilities.map { CapabilitySetupCost(capability: Capability($0)!, setupCost: 10) })
        return try await pool.transaction { try FactoryRecords.insert(on: $0, input) }.id
    }

    @Test func factoriesRoundTripAndPatch() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let id = try await Self.factory(pool, ["sewing", "cnc.milling"])
        let stored = try #require(try await pool.withConnection { try FactoryRecords.find(on: $0, id: id) })
        #expect(stored.lat == 1.5 && stored.lon == nil && stored.leadDays == 2 && stored.certifications == ["ISO9001"])
        #expect(stored.capabilities.map(\.capability.code) == ["cnc.milling", "sewing"])
        let patched = try await pool.transaction {
            try FactoryRecords.update(on: $0, id: id, FactoryPatch(lat: .clear, lon: .set(-3), leadDays: 9, certifications: [],
                                                                   capabilities: [CapabilitySetupCost(capability: Capability("sewing")!, setupCost: 99)]))
        }
        #expect(patched?.lat == nil && patched?.lon == -3 && patched?.leadDays == 9 && patched?.certifications == [])
        #expect(patched?.capabilities == [CapabilitySetupCost(capability: Capability("sewing")!, setupCost: 99)])
        #expect(patched?.name == "F" && patched?.region == "CN-GD")
        #expect(try await pool.transaction { try FactoryRecords.update(on: $0, id: UUID(), FactoryPatch(leadDays: 1)) } == nil)
    }

    @Test func upsertRefusalsWriteNothing() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let id = try await Self.factory(pool)
        await #expect(throws: CapacityRecords.Refusal.factoryNotFound) {
            try await pool.transaction { try CapacityRecords.upsert(on: $0, factoryID: UUID(), slots: [Self.slot("sewing", "2030-01-01", 1)]) }
        }
        await #expect(throws: CapacityRecords.Refusal.notOffered(indexes: [1], offered: ["pcb.fab", "sewing"])) {
            try await pool.transaction {
                try CapacityRecords.upsert(on: $0, factoryID: id, slots: [Self.slot("sewing", "2030-01-01", 1), Self.slot("weaving", "2030-01-01", 1)])
            }
        }
        let counts = try await pool.transaction {
            try CapacityRecords.upsert(on: $0, factoryID: id, slots: [Self.slot("sewing", "2030-01-01", 10), Self.slot("sewing", "2030-01-02", 10)])
        }
        #expect(counts == CapacityRecords.UpsertCounts(created: 2, updated: 0, unchanged: 0))
        try await pool.transaction { connection in
            let broker = try connection.query("INSERT INTO brokers (name) VALUES ('b') RETURNING id")[0].decode(UUID.self, 0)
            let order = try connection.query("""
                INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status)
                VALUES ($1, 'sewing', 100, '2030-02-01', '2030-01-01', 'partial') RETURNING id
                """, broker)[0].decode(UUID.self, 0)
            try connection.query("INSERT INTO allocations (order_id, slot_id, units, unit_cost) SELECT $1, id, 7, 1 FROM capacity_slots", order)
        }
        let lowering = [Self.slot("sewing", "2030-01-03", 5), Self.slot("sewing", "2030-01-02", 6), Self.slot("sewing", "2030-01-01", 0)]
        await #expect(throws: CapacityRecords.Refusal.belowAllocated([
            .init(index: 1, capability: "sewing", day: Day(iso: "2030-01-02")!, units: 6, allocated: 7),
            .init(index: 2, capability: "sewing", day: Day(iso: "2030-01-01")!, units: 0, allocated: 7),
        ])) {
            try await pool.transaction { try CapacityRecords.upsert(on: $0, factoryID: id, slots: lowering) }
        }
        let slots = try await pool.withConnection {
            try CapacityRecords.list(on: $0, factoryID: id, capability: nil, from: Day(iso: "2030-01-01")!, to: Day(iso: "2030-12-31")!)
        }
        #expect(slots.map(\.units) == [10, 10])
        #expect(slots.map(\.allocated) == [7, 7])
    }

    /// A capacity upsert and a patch removing the capability, each started while the other's
    /// transaction is open: whichever commits first wins, and the other gets its refusal,
    /// never a foreign-key error.
    @Test func capabilityRemovalAndUpsertSerialize() async throws {
        let (pool, url) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let removeSewing = FactoryPatch(capabilities: [CapabilitySetupCost(capability: Capability("pcb.fab")!, setupCost: 1)])

        // Upsert first, removal waits and then sees the new slots.
        let first = try await Self.factory(pool)
        let upserting = try PostgresConnection.connect(url)
        try upserting.execute("BEGIN")
        _ = try CapacityRecords.upsert(on: upserting, factoryID: first, slots: [Self.slot("sewing", "2030-01-01", 3)])
        let removal = Task { try await pool.transaction { try FactoryRecords.update(on: $0, id: first, removeSewing) } }
        try await Task.sleep(for: .milliseconds(300))
        try upserting.execute("COMMIT")
        await #expect(throws: FactoryRecords.CapabilitiesInUse.self) { _ = try await removal.value }

        // Removal first, the upsert waits and then finds the capability gone.
        let second = try await Self.factory(pool)
        let removing = try PostgresConnection.connect(url)
        try removing.execute("BEGIN")
        _ = try FactoryRecords.update(on: removing, id: second, removeSewing)
        let upsert = Task { try await pool.transaction { try CapacityRecords.upsert(on: $0, factoryID: second, slots: [Self.slot("sewing", "2030-01-01", 3)]) } }
        try await Task.sleep(for: .milliseconds(300))
        try removing.execute("COMMIT")
        await #expect(throws: CapacityRecords.Refusal.notOffered(indexes: [0], offered: ["pcb.fab"])) { _ = try await upsert.value }
    }

    @Test func factoryListFiltersAndPagesByCreation() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        var ids: [UUID] = []
        for index in 0..<5 { ids.append(try await Self.factory(pool, index.isMultiple(of: 2) ? ["sewing"] : ["pcb.fab"], region: index < 3 ? "DE" : "FR")) }
        let page1 = try await pool.withConnection { try FactoryRecords.list(on: $0, .init(limit: 2)) }
        #expect(page1.map(\.id) == Array(ids[0..<2]))
        let after = ListPosition(createdAt: page1[1].createdAt, id: page1[1].id)
        let page2 = try await pool.withConnection { try FactoryRecords.list(on: $0, .init(after: after, limit: 10)) }
        #expect(page2.map(\.id) == Array(ids[2...]))
        let sewingInDE = try await pool.withConnection { try FactoryRecords.list(on: $0, .init(capability: "sewing", region: "DE", limit: 10)) }
        #expect(sewingInDE.map(\.id) == [ids[0], ids[2]])
    }
}
