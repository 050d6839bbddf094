import Foundation
import WeftCore

/// SQL for order pooling: the units of each pool in each slot (migration 0007's
/// `slot_pool_units`) and a factory's batches.
public enum BatchRecords {
    /// Units of `pool` in each slot of `capability` from `from` on (up to `to` when given), by
    /// slot id: what instant placement adds to its candidate slots so that it fills batches
    /// already open. One range scan of `slot_pool_units_by_pool` (capability, pool, day).
    public static func poolUnits(on connection: PostgresConnection, capability: String, pool: String, from: Day,
                                 to: Day? = nil) throws -> [Int64: Int] {
        var units: [Int64: Int] = [:]
        for row in try connection.query("""
            SELECT slot_id, units FROM slot_pool_units
             WHERE capability = $1 AND pool = $2 AND day >= $3 AND ($4::date IS NULL OR day <= $4)
            """, capability, pool, from, to) {
            units[try row.decode(Int64.self, 0)] = try row.decode(Int.self, 1)
        }
        return units
    }

    /// One pool's units in one slot, and the slot's day.
    public struct PoolUnits: Sendable, Equatable {
        public var slotID: Int64
        public var day: Day
        public var units: Int

        public init(slotID: Int64, day: Day, units: Int) {
            self.slotID = slotID
            self.day = day
            self.units = units
        }
    }

    /// Units of `pool` in every slot of `capability` from `from` on, with the capability's
    /// generation read in the same statement (so from the same snapshot): what the placement
    /// cache holds per pool and checks bookings against (``OrderRecords/PoolCheck``).
    public static func poolUnitsAtGeneration(on connection: PostgresConnection, capability: String, pool: String,
                                             from: Day) throws -> (generation: Int64, units: [PoolUnits]) {
        var generation: Int64 = 0
        var units: [PoolUnits] = []
        for row in try connection.query("""
            SELECT g.generation, p.slot_id, p.day, p.units
              FROM (SELECT coalesce((SELECT generation FROM capability_generations WHERE capability = $1), 0) AS generation) g
              LEFT JOIN slot_pool_units p ON p.capability = $1 AND p.pool = $2 AND p.day >= $3
            """, capability, pool, from) {
            generation = try row.decode(Int64.self, 0)
            guard !row.isNull(1) else { continue }
            units.append(PoolUnits(slotID: try row.decode(Int64.self, 1), day: try row.decode(Day.self, 2), units: try row.decode(Int.self, 3)))
        }
        return (generation, units)
    }

    /// The units of `pool` in the given slots, for a pipeline right after a booking into them
    /// (while it still holds their locks, so the figures are exact); each row is a
    /// ``poolUnits(_:)``.
    public static func poolUnitsStatement(slotIDs: [Int64], pool: String) -> PostgresConnection.Statement {
        PostgresConnection.Statement("SELECT slot_id, day, units FROM slot_pool_units WHERE slot_id = ANY($1) AND pool = $2", slotIDs, pool)
    }

    /// A row of ``poolUnitsStatement(slotIDs:pool:)``'s result.
    public static func poolUnits(_ row: PostgresRow) throws -> PoolUnits {
        PoolUnits(slotID: try row.decode(Int64.self, 0), day: try row.decode(Day.self, 1), units: try row.decode(Int.self, 2))
    }

    /// One pool group's units in one slot of a factory: a pool, or one order without a pool.
    public struct Group: Sendable, Equatable {
        public var factoryID: UUID
        public var factoryName: String
        public var capability: String
        public var day: Day
        /// Nil: the order's own batches.
        public var pool: String?
        public var batchCost: Int64
        /// Nil: unlimited.
        public var batchUnits: Int?
        /// (order, units), by order id.
        public var orders: [(id: UUID, units: Int)]

        public var units: Int { orders.reduce(0) { $0 + $1.units } }

        public static func == (lhs: Group, rhs: Group) -> Bool {
            lhs.factoryID == rhs.factoryID && lhs.capability == rhs.capability && lhs.day == rhs.day && lhs.pool == rhs.pool && lhs.batchCost == rhs.batchCost
                && lhs.batchUnits == rhs.batchUnits && lhs.orders.map(\.id) == rhs.orders.map(\.id) && lhs.orders.map(\.units) == rhs.orders.map(\.units)
        }
    }

    /// The pool groups with units in a factory's slots (every factory's when `factoryID` is nil)
    /// between two days, optionally of one capability, by day, factory, capability and pool
    /// (pools first, then orders without one, by order id); at most `limit` groups.
    public static func groups(on connection: PostgresConnection, factoryID: UUID?, capability: String?, from: Day, to: Day,
                              limit: Int = .max) throws -> [Group] {
        var groups: [Group] = []
        for row in try connection.query("""
            SELECT s.capability, s.day, o.pool, a.order_id, a.units, fc.batch_cost, fc.batch_units, f.id, f.name
              FROM capacity_slots s
              JOIN factories f ON f.id = s.factory_id
              JOIN allocations a ON a.slot_id = s.id
              JOIN orders o ON o.id = a.order_id
              JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
             WHERE ($1::uuid IS NULL OR s.factory_id = $1) AND s.day BETWEEN $2 AND $3 AND ($4::text IS NULL OR s.capability = $4)
             ORDER BY s.day, f.name, f.id, s.capability, o.pool NULLS LAST, a.order_id
            """, factoryID, from, to, capability) {
            let capability = try row.decode(String.self, 0), day = try row.decode(Day.self, 1), pool = try row.decode(String?.self, 2)
            let factory = try row.decode(UUID.self, 7)
            let order = (id: try row.decode(UUID.self, 3), units: try row.decode(Int.self, 4))
            if let pool, let last = groups.last, last.pool == pool, last.day == day, last.capability == capability, last.factoryID == factory {
                groups[groups.count - 1].orders.append(order)
                continue
            }
            guard groups.count < limit else { break }
            groups.append(Group(factoryID: factory, factoryName: try row.decode(String.self, 8), capability: capability, day: day, pool: pool,
                                batchCost: try row.decode(Int64.self, 5), batchUnits: try row.decode(Int?.self, 6), orders: [order]))
        }
        return groups
    }
}
