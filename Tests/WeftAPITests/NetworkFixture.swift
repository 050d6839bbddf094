import Foundation
import WeftCore
import WeftStore
import WeftTestSupport

/// A small network written straight to the database, so order tests do not depend on the
/// factory routes: factories with one capability each and their slots, days relative to today.
struct NetworkFixture {
    struct FactorySpec {
        var name: String
        var region = "CN-GD"
        var leadDays = 0
        var certifications: [String] = []
        var active = true
        var capability = "pcb.fab"
        var setupCost: Int64 = 0
        var batchCost: Int64 = 0
        /// nil: unlimited.
        var batchUnits: Int?
        /// (days from today, units, unit cost)
        var slots: [(Int, Int, Int64)]
    }

    var brokerID: UUID
    var factoryIDs: [String: UUID] = [:]

    static var today: Day { Day(unixSeconds: Int64(Date().timeIntervalSince1970)) }

    static func seed(_ pool: PostgresPool, brokers: Int = 1, _ factories: [FactorySpec]) async throws -> (NetworkFixture, [UUID]) {
        try await pool.transaction { connection in
            var brokerIDs: [UUID] = []
            for index in 0..<brokers {
                brokerIDs.append(try connection.query("INSERT INTO brokers (name) VALUES ($1) RETURNING id", "Broker \(index)")[0].decode(UUID.self, 0))
            }
            var fixture = NetworkFixture(brokerID: brokerIDs[0])
            for spec in factories {
                let id = try connection.query("""
                    INSERT INTO factories (name, region, lead_days, certifications, active) VALUES ($1, $2, $3, $4, $5) RETURNING id
                    """, spec.name, spec.region, spec.leadDays, spec.certifications, spec.active)[0].decode(UUID.self, 0)
                fixture.factoryIDs[spec.name] = id
                try connection.query("INSERT INTO factory_capabilities (factory_id, capability, setup_cost, batch_cost, batch_units) VALUES ($1, $2, $3, $4, $5)",
                                     id, spec.capability, spec.setupCost, spec.batchCost, spec.batchUnits)
                for (offset, units, cost) in spec.slots {
                    try connection.query("INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost) VALUES ($1, $2, $3, $4, $5)",
                                         id, spec.capability, today.adding(days: offset), units, cost)
                }
            }
            return (fixture, brokerIDs)
        }
    }
}

/// Database-wide invariants every test that writes orders checks at the end.
enum Invariants {
    /// Throws a description of the first broken invariant.
    static func check(_ pool: PostgresPool) async throws {
        let overbooked = try await pool.query("SELECT count(*) FROM capacity_slots WHERE allocated > units OR allocated < 0")[0].decode(Int.self, 0)
        let drift = try await pool.query("""
            SELECT count(*) FROM capacity_slots s
             WHERE s.allocated <> coalesce((SELECT sum(units) FROM allocations a WHERE a.slot_id = s.id), 0)
            """)[0].decode(Int.self, 0)
        let orderDrift = try await pool.query("""
            SELECT count(*) FROM orders o
             WHERE o.allocated_units <> coalesce((SELECT sum(units) FROM allocations a WHERE a.order_id = o.id), 0)
                OR (o.status = 'scheduled' AND o.allocated_units <> o.quantity)
                OR (o.status = 'partial' AND NOT (o.allocated_units > 0 AND o.allocated_units < o.quantity))
                OR (o.status IN ('unscheduled', 'cancelled') AND o.allocated_units <> 0)
            """)[0].decode(Int.self, 0)
        // The report's per-(order, factory) summary (migration 0006) matches the allocations.
        let pairDrift = try await OrderFactoryTotalsCheck.mismatches(pool)
        // The units of each pool in each slot (migration 0007) match the allocations.
        let poolDrift = try await pool.query("""
            SELECT count(*) FROM (
                SELECT slot_id, pool, units FROM slot_pool_units
                EXCEPT SELECT a.slot_id, o.pool, sum(a.units) FROM allocations a JOIN orders o ON o.id = a.order_id
                        WHERE o.pool IS NOT NULL GROUP BY a.slot_id, o.pool) d
            """)[0].decode(Int.self, 0) + pool.query("""
            SELECT count(*) FROM (
                SELECT a.slot_id, o.pool, sum(a.units) FROM allocations a JOIN orders o ON o.id = a.order_id
                 WHERE o.pool IS NOT NULL GROUP BY a.slot_id, o.pool
                EXCEPT SELECT slot_id, pool, units FROM slot_pool_units) d
            """)[0].decode(Int.self, 0)
        guard overbooked == 0, drift == 0, orderDrift == 0, pairDrift == 0, poolDrift == 0 else {
            throw InvariantViolation(description: "overbooked slots: \(overbooked), slots whose allocated drifted: \(drift), orders inconsistent: \(orderDrift), order-factory totals drifted: \(pairDrift), slot pool units drifted: \(poolDrift)")
        }
    }

    struct InvariantViolation: Error, CustomStringConvertible { var description: String }
}
