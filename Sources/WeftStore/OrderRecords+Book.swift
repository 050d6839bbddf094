import Foundation
import WeftCore

extension OrderRecords {
    /// What `book` did.
    public enum Booking: Sendable {
        /// The order and its allocations are written: the order as stored (with its creation
        /// time), the id and creation time of each allocation by slot, and the free units each
        /// booked slot has left (read under its lock, so exact at COMMIT).
        case booked(Order, allocations: [Int64: (id: Int64, createdAt: Date)], freeAfter: [Int64: Int])
        /// Nothing was written: the capability's generation is no longer the one planned
        /// with, a slot no longer has the units planned, or the order's pool has other units
        /// in its window than planned with (``PoolCheck``). Carries the current generation, the
        /// free units of the planned slots (a deleted slot is missing) and, when the pool check
        /// failed, the pool's units in the window now (nil otherwise).
        case stale(generation: Int64, free: [Int64: Int], poolUnits: [BatchRecords.PoolUnits]?)
    }

    /// What a booking planned from held pool units checks: the units of the order's pool (its
    /// `pool`) in the capability's slots from `from` to `to` still add up to `units`. Within
    /// one generation a pool's units per slot only grow (whatever removes units frees capacity
    /// and so moves the generation, migration 0005), so with the generation unchanged an equal
    /// sum means every slot's figure is the one planned with.
    public struct PoolCheck: Sendable {
        public var from: Day
        public var to: Day
        public var units: Int64

        public init(from: Day, to: Day, units: Int64) {
            self.from = from
            self.to = to
            self.units = units
        }
    }

    /// Stores a new order and its allocations in one statement (the only statement that
    /// inserts orders), provided the capability's generation is still `generation` (nil: not
    /// checked, for a caller that read its slots under lock) and every slot still has the units
    /// planned: the slots are locked in id order first, so the check and the write cannot be
    /// overtaken. The allocation trigger then adds the units to the slots, under their CHECK.
    /// One round trip instead of a read, a lock, a check and two inserts: the slots stay locked
    /// for the shortest time the database allows. `order.createdAt` and `updatedAt` are
    /// ignored: the stored order carries the database's time. With `poolCheck`, the order's
    /// pool must also still have the units planned with (``PoolCheck``).
    public static func book(on connection: PostgresConnection, _ order: Order, _ allocations: [NewAllocation],
                            generation: Int64?, poolCheck: PoolCheck? = nil) throws -> Booking {
        let statement = bookStatement(order, allocations, generation: generation, poolCheck: poolCheck)
        return try booking(try connection.query(statement.sql, binds: statement.binds), order, allocations, generation: generation)
    }

    /// ``book(on:_:_:generation:)``'s one statement, for a caller that sends it in a
    /// ``PostgresConnection/pipeline(_:)`` with reads after it; ``booking(_:_:_:generation:)``
    /// reads its result.
    public static func bookStatement(_ order: Order, _ allocations: [NewAllocation], generation: Int64?,
                                     poolCheck: PoolCheck? = nil) -> PostgresConnection.Statement {
        PostgresConnection.Statement("""
            WITH wanted AS (
                SELECT * FROM unnest($17::int8[], $18::int8[], $19::int8[]) AS t(slot_id, units, unit_cost)
            ), locked AS (
                SELECT s.id, s.units - s.allocated AS free FROM capacity_slots s WHERE s.id = ANY($17::int8[]) ORDER BY s.id FOR UPDATE
            ), verdict AS (
                SELECT coalesce((SELECT g.generation FROM capability_generations g WHERE g.capability = $3), 0) AS generation
            ), pool_verdict AS (
                SELECT $22::int8 IS NULL OR coalesce((SELECT sum(p.units) FROM slot_pool_units p
                                                        WHERE p.capability = $3 AND p.pool = $21 AND p.day BETWEEN $23 AND $24), 0) = $22 AS pool_ok
            ), fits AS (
                SELECT v.generation, pv.pool_ok, ($20::int8 IS NULL OR v.generation = $20) AND pv.pool_ok AND NOT EXISTS (
                           SELECT 1 FROM wanted w LEFT JOIN locked l ON l.id = w.slot_id WHERE l.free IS NULL OR l.free < w.units) AS ok
                  FROM verdict v, pool_verdict pv
            ), new_order AS (
                INSERT INTO orders (id, broker_id, capability, quantity, due_date, release_date, max_unit_cost, regions, certifications,
                                    min_lot, max_factories, priority, reference, status, allocated_units, unscheduled_reason, pool)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $21 FROM fits WHERE ok
                RETURNING created_at
            ), new_allocations AS (
                INSERT INTO allocations (order_id, slot_id, units, unit_cost)
                SELECT $1, w.slot_id, w.units, w.unit_cost FROM wanted w WHERE EXISTS (SELECT 1 FROM new_order)
                RETURNING slot_id, id, created_at
            )
            SELECT 'o', NULL::int8, NULL::int8, created_at, NULL::date FROM new_order
            UNION ALL SELECT 'a', slot_id, id, created_at, NULL FROM new_allocations
            UNION ALL SELECT 'g', NULL, f.generation, NULL, NULL FROM fits f WHERE NOT f.ok
            UNION ALL SELECT 'f', l.id, l.free, NULL, NULL FROM locked l
            UNION ALL SELECT 'p', p.slot_id, p.units, NULL, p.day FROM fits f JOIN slot_pool_units p
                ON NOT f.pool_ok AND p.capability = $3 AND p.pool = $21 AND p.day BETWEEN $23 AND $24
            """, binds: [order.id, order.brokerID, order.capability, order.quantity, order.dueDate, order.releaseDate,
                         order.maxUnitCost, order.regions, order.certifications, order.minLot, order.maxFactories,
                         order.priority, order.reference, order.status, order.allocatedUnits, order.unscheduledReason,
                         allocations.map(\.slotID), allocations.map { Int64($0.units) }, allocations.map(\.unitCost), generation, order.pool,
                         poolCheck?.units, poolCheck?.from, poolCheck?.to])
    }

    /// What the booking statement's `rows` say it did.
    public static func booking(_ rows: PostgresResult, _ order: Order, _ allocations: [NewAllocation], generation: Int64?) throws -> Booking {
        var createdAt: Date?
        var written: [Int64: (id: Int64, createdAt: Date)] = [:]
        var current = generation ?? 0
        var free: [Int64: Int] = [:]
        var pool: [BatchRecords.PoolUnits]?
        for row in rows {
            switch try row.decode(String.self, 0) {
            case "o": createdAt = try row.decode(Date.self, 3)
            case "a": written[try row.decode(Int64.self, 1)] = (try row.decode(Int64.self, 2), try row.decode(Date.self, 3))
            case "g": current = try row.decode(Int64.self, 2)
            case "p": pool = pool ?? []
                      pool?.append(BatchRecords.PoolUnits(slotID: try row.decode(Int64.self, 1), day: try row.decode(Day.self, 4),
                                                          units: try row.decode(Int.self, 2)))
            default: free[try row.decode(Int64.self, 1)] = try row.decode(Int.self, 2)
            }
        }
        if let createdAt {
            var freeAfter = free
            for allocation in allocations { freeAfter[allocation.slotID, default: 0] -= allocation.units }
            var stored = order
            stored.createdAt = createdAt
            stored.updatedAt = createdAt
            return .booked(stored, allocations: written, freeAfter: freeAfter)
        }
        return .stale(generation: current, free: free, poolUnits: pool)
    }
}
