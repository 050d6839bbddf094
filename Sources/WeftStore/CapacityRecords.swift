import Foundation
import WeftCore

/// SQL for `capacity_slots`: bulk upserts and range reads, each one statement whatever the
/// number of slots.
public enum CapacityRecords {
    /// A slot as stored, with what is allocated in it.
    public struct Slot: Sendable, Equatable {
        public var capability: String
        public var day: Day
        public var units: Int64
        public var unitCost: Int64
        public var allocated: Int64
    }

    /// How many slots of an upsert were new, changed, or already as requested.
    public struct UpsertCounts: Sendable, Equatable {
        public var created: Int
        public var updated: Int
        public var unchanged: Int
    }

    /// A slot the upsert would set below what is already allocated in it.
    public struct Overbooking: Sendable, Equatable {
        /// Position of the slot in the request.
        public var index: Int
        public var capability: String
        public var day: Day
        /// The units requested.
        public var units: Int64
        /// The units already allocated.
        public var allocated: Int64
    }

    /// Why an upsert wrote nothing.
    public enum Refusal: Error, Sendable, Equatable {
        /// There is no such factory.
        case factoryNotFound
        /// The slots at these request positions name capabilities the factory does not
        /// offer; `offered` is what it does offer.
        case notOffered(indexes: [Int], offered: [String])
        /// These slots would drop below their allocated units.
        case belowAllocated([Overbooking])
    }

    /// Inserts or updates every slot of `slots` for the factory, in the caller's
    /// transaction: all of them, or none and a `Refusal`.
    ///
    /// Rows are written in the order of their existing ids (new ones last, by capability and
    /// day), the same order in which the allocation triggers and order placement lock slots,
    /// so concurrent writers queue instead of deadlocking. Unchanged rows are locked but
    /// not rewritten, so repeating an upsert is cheap and leaves `updated_at` alone.
    public static func upsert(on connection: PostgresConnection, factoryID: UUID, slots: [CapacitySlotInput]) throws -> UpsertCounts {
        guard try connection.query("SELECT 1 FROM factories WHERE id = $1", factoryID).count == 1 else {
            throw Refusal.factoryNotFound
        }
        // KEY SHARE keeps the capabilities from being removed (FactoryRecords.update takes
        // FOR UPDATE) until this transaction ends, without blocking setup-cost changes.
        let offered = try connection.query("""
            SELECT capability FROM factory_capabilities WHERE factory_id = $1 ORDER BY capability FOR KEY SHARE
            """, factoryID).map { try $0.decode(String.self, 0) }
        let offeredSet = Set(offered)
        let notOffered = slots.indices.filter { !offeredSet.contains(slots[$0].capability.code) }
        if !notOffered.isEmpty { throw Refusal.notOffered(indexes: notOffered, offered: offered) }

        let columns = Columns(slots)
        // The CHECK on capacity_slots finds overbooking for free on the happy path; only when
        // it fires are the culprits looked up. If they are gone by then (the allocation was
        // released meanwhile), the upsert is simply tried again.
        for _ in 1...3 {
            try connection.execute("SAVEPOINT capacity_upsert")
            do {
                let row = try connection.query(upsertSQL, factoryID, columns.capabilities, columns.days, columns.units, columns.unitCosts)[0]
                try connection.execute("RELEASE SAVEPOINT capacity_upsert")
                let created = try row.decode(Int.self, 0)
                let updated = try row.decode(Int.self, 1)
                return UpsertCounts(created: created, updated: updated, unchanged: slots.count - created - updated)
            } catch let error as PostgresError where error.sqlState == PostgresError.checkViolation
                        && error.constraint == "capacity_slots_not_overbooked" {
                try connection.execute("ROLLBACK TO SAVEPOINT capacity_upsert")
                let found = try overbookings(on: connection, factoryID: factoryID, columns)
                if !found.isEmpty { throw Refusal.belowAllocated(found) }
            }
        }
        // As a serialization failure, this makes `PostgresPool.transaction` start over.
        throw PostgresError(.server, "capacity upsert kept conflicting with changing allocations", sqlState: "40001")
    }

    static let upsertSQL = """
        WITH written AS (
            INSERT INTO capacity_slots AS s (factory_id, capability, day, units, unit_cost)
            SELECT $1, t.capability, t.day, t.units, t.unit_cost
              FROM unnest($2::text[], $3::date[], $4::int8[], $5::int8[]) AS t(capability, day, units, unit_cost)
              LEFT JOIN capacity_slots e ON e.factory_id = $1 AND e.capability = t.capability AND e.day = t.day
             ORDER BY e.id NULLS LAST, t.capability, t.day
            ON CONFLICT (factory_id, capability, day) DO UPDATE
               SET units = EXCLUDED.units, unit_cost = EXCLUDED.unit_cost, updated_at = now()
             WHERE (s.units, s.unit_cost) IS DISTINCT FROM (EXCLUDED.units, EXCLUDED.unit_cost)
            RETURNING (s.xmax = 0) AS created
        )
        SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written
        """

    /// Slots of the request whose units are below what is allocated now, in request order.
    static func overbookings(on connection: PostgresConnection, factoryID: UUID, _ columns: Columns) throws -> [Overbooking] {
        try connection.query("""
            SELECT t.ord - 1, t.capability, t.day, t.units, s.allocated
              FROM unnest($2::text[], $3::date[], $4::int8[]) WITH ORDINALITY AS t(capability, day, units, ord)
              JOIN capacity_slots s ON s.factory_id = $1 AND s.capability = t.capability AND s.day = t.day
             WHERE s.allocated > t.units
             ORDER BY t.ord
            """, factoryID, columns.capabilities, columns.days, columns.units).map { row in
            Overbooking(index: try row.decode(Int.self, 0), capability: try row.decode(String.self, 1), day: try row.decode(Day.self, 2),
                        units: try row.decode(Int64.self, 3), allocated: try row.decode(Int64.self, 4))
        }
    }

    /// The factory's slots from `from` through `to`, by capability and day; one capability or all.
    public static func list(on connection: PostgresConnection, factoryID: UUID, capability: String?, from: Day, to: Day) throws -> [Slot] {
        let rows = try connection.query("""
            SELECT capability, day, units, unit_cost, allocated FROM capacity_slots
             WHERE factory_id = $1 AND ($2::text IS NULL OR capability = $2) AND day BETWEEN $3 AND $4
             ORDER BY capability, day
            """, factoryID, capability, from, to)
        var slots: [Slot] = []
        slots.reserveCapacity(rows.count)
        for row in rows {
            slots.append(Slot(capability: try row.decode(String.self, 0), day: try row.decode(Day.self, 1),
                              units: try row.decode(Int64.self, 2), unitCost: try row.decode(Int64.self, 3),
                              allocated: try row.decode(Int64.self, 4)))
        }
        return slots
    }

    /// The request as four parallel arrays, in request order, for `unnest`.
    struct Columns {
        var capabilities: [String] = []
        var days: [Day] = []
        var units: [Int64] = []
        var unitCosts: [Int64] = []

        init(_ slots: [CapacitySlotInput]) {
            capabilities.reserveCapacity(slots.count)
            days.reserveCapacity(slots.count)
            units.reserveCapacity(slots.count)
            unitCosts.reserveCapacity(slots.count)
            for slot in slots {
                capabilities.append(slot.capability.code)
                days.append(slot.date)
                units.append(Int64(slot.units))
                unitCosts.append(slot.unitCost)
            }
        }
    }
}
