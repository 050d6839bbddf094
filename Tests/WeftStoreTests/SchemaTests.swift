import Foundation
import Testing
import WeftTestSupport
@testable import WeftStore

@Suite("Schema guarantees")
struct SchemaTests {
    @Test func allocatedFollowsAllocationsAndCannotOverbook() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let slot = try await pool.transaction { connection -> Int64 in
            let broker = try connection.query("INSERT INTO brokers (name) VALUES ('b') RETURNING id")[0].decode(UUID.self, 0)
            let factory = try connection.query("INSERT INTO factories (name, region, lead_days) VALUES ('f', 'CN-GD', 1) RETURNING id")[0].decode(UUID.self, 0)
            try connection.query("INSERT INTO factory_capabilities VALUES ($1, 'pcb.fab', 100)", factory)
            let slot = try connection.query("INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost) VALUES ($1, 'pcb.fab', '2026-12-01', 10, 5) RETURNING id", factory)[0].decode(Int64.self, 0)
            let order = try connection.query("INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status) VALUES ($1, 'pcb.fab', 30, '2026-12-10', '2026-11-01', 'partial') RETURNING id", broker)[0].decode(UUID.self, 0)
            try connection.query("INSERT INTO allocations (order_id, slot_id, units, unit_cost) VALUES ($1, $2, 6, 5)", order, slot)
            return slot
        }
        func allocated() async throws -> Int64 {
            try await pool.query("SELECT allocated FROM capacity_slots WHERE id = $1", slot)[0].decode(Int64.self, 0)
        }
        #expect(try await allocated() == 6)
        try await pool.query("UPDATE allocations SET units = 10")
        #expect(try await allocated() == 10)
        do {
            try await pool.query("UPDATE allocations SET units = 11")
            Issue.record("overbooking must be refused")
        } catch let error as PostgresError {
            #expect(error.sqlState == PostgresError.checkViolation)
            #expect(error.constraint == "capacity_slots_not_overbooked")
        }
        await #expect(throws: PostgresError.self) { try await pool.query("UPDATE capacity_slots SET units = 9") }
        try await pool.query("DELETE FROM allocations")
        #expect(try await allocated() == 0)
    }

    @Test func uniqueSlotPerFactoryCapabilityDay() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        let factory = try await pool.query("INSERT INTO factories (name, region, lead_days) VALUES ('f', 'EU-DE', 0) RETURNING id")[0].decode(UUID.self, 0)
        try await pool.query("INSERT INTO factory_capabilities VALUES ($1, 'sewing', 0)", factory)
        try await pool.query("INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost) VALUES ($1, 'sewing', '2026-12-01', 1, 1)", factory)
        do {
            try await pool.query("INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost) VALUES ($1, 'sewing', '2026-12-01', 2, 2)", factory)
            Issue.record("a second slot for the same day must be refused")
        } catch let error as PostgresError {
            #expect(error.sqlState == PostgresError.uniqueViolation)
        }
    }
}
