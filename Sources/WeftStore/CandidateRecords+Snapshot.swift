import Foundation
import WeftCore

extension CandidateRecords {
    /// Every factory offering `capability` (active or not) with all its slots from `from` on,
    /// free or full, and the capability's generation (see migration 0005): what the order
    /// placement cache holds. Run it in a REPEATABLE READ transaction so that the generation
    /// and the slots come from one snapshot.
    public static func snapshot(on connection: PostgresConnection, capability: String, from: Day) throws -> (candidates: Candidates, generation: Int64) {
        let generation = try generation(on: connection, capability: capability)
        var candidates = Candidates()
        let offering = try factories(on: connection, capability: capability)
        candidates.factoryIDs = offering.ids
        candidates.factories = offering.factories
        let index = offering.index
        // Slots apart from their factories, in the factories' order: a join would repeat each
        // factory's columns on every one of thousands of rows, and this is read whenever the
        // capability's generation moves.
        var previous: PostgresRow?
        var factory: Int?
        for row in try connection.query("""
            SELECT s.factory_id, s.id, s.day, s.units - s.allocated, s.unit_cost, s.units
              FROM capacity_slots s WHERE s.capability = $1 AND s.day >= $2 ORDER BY s.factory_id, s.day
            """, capability, from) {
            if previous == nil || !previous!.sameValue(0, as: row) { factory = index[try row.decode(UUID.self, 0)] }
            previous = row
            guard let factory else { continue } // cannot happen: slots reference their factory's capability
            let slotID = try row.decode(Int64.self, 1)
            candidates.slotIDs.append(slotID)
            candidates.slots.append(Scheduling.Slot(id: String(slotID), factory: factory, day: try row.decode(Day.self, 2),
                                                    units: try row.decode(Int.self, 5), unitCost: try row.decode(Int64.self, 4)))
            candidates.free.append(try row.decode(Int.self, 3))
        }
        return (candidates, generation)
    }

    /// Every factory offering `capability` (active or not), by id, as core's model sees it,
    /// with each id's index.
    public static func factories(on connection: PostgresConnection, capability: String) throws -> (ids: [UUID], factories: [Scheduling.Factory], index: [UUID: Int]) {
        var ids: [UUID] = []
        var factories: [Scheduling.Factory] = []
        var index: [UUID: Int] = [:]
        for row in try connection.query("""
            SELECT f.id, f.active, f.region, f.certifications, f.lead_days, fc.setup_cost, fc.batch_cost, fc.batch_units
              FROM factory_capabilities fc JOIN factories f ON f.id = fc.factory_id
             WHERE fc.capability = $1 ORDER BY f.id
            """, capability) {
            let id = try row.decode(UUID.self, 0)
            index[id] = factories.count
            ids.append(id)
            factories.append(Scheduling.Factory(
                id: id.uuidString.lowercased(), active: try row.decode(Bool.self, 1), region: try row.decode(String.self, 2),
                certifications: Set(try row.decode([String].self, 3)), leadDays: try row.decode(Int.self, 4),
                setupCost: try row.decode(Int64.self, 5), batchCost: try row.decode(Int64.self, 6), batchUnits: try row.decode(Int?.self, 7)))
        }
        return (ids, factories, index)
    }

    /// The capability's current generation; 0 before anything of it was ever written.
    public static func generation(on connection: PostgresConnection, capability: String) throws -> Int64 {
        try connection.query("SELECT generation FROM capability_generations WHERE capability = $1", capability)
            .first.map { try $0.decode(Int64.self, 0) } ?? 0
    }
}

extension CandidateRecords {
    /// The capability's generation and the free units of the given slots, read in one
    /// statement (one snapshot) without locking: what confirms a quote made from the placement
    /// cache. A slot that no longer exists is missing from the answer.
    public static func freeUnits(on connection: PostgresConnection, capability: String, slotIDs: [Int64]) throws -> (generation: Int64, free: [Int64: Int]) {
        var generation: Int64 = 0
        var free: [Int64: Int] = [:]
        for row in try connection.query("""
            SELECT g.generation, s.id, s.units - s.allocated
              FROM (SELECT coalesce((SELECT generation FROM capability_generations WHERE capability = $1), 0) AS generation) g
              LEFT JOIN capacity_slots s ON s.id = ANY($2::int8[])
            """, capability, slotIDs) {
            generation = try row.decode(Int64.self, 0)
            if !row.isNull(1) { free[try row.decode(Int64.self, 1)] = try row.decode(Int.self, 2) }
        }
        return (generation, free)
    }
}

extension CandidateRecords {
    /// What changed in a capability's slots since a generation (migration 0005's log).
    public struct Changes: Sendable {
        /// The capability's generation now.
        public var generation: Int64
        /// True when the log cannot bring a copy up to date: more than slot figures changed,
        /// or the log no longer reaches back that far. Read the capability again.
        public var rereadAll: Bool
        /// Current figures of every slot logged since: (id, day, free units, unit cost).
        public var slots: [(id: Int64, day: Day, free: Int, unitCost: Int64)]
    }

    /// The slots changed since `generation`, with their current figures, read in one
    /// statement so that they and the generation come from one snapshot.
    public static func changes(on connection: PostgresConnection, capability: String, since generation: Int64) throws -> Changes {
        var changes = Changes(generation: generation, rereadAll: false, slots: [])
        var oldest: Int64?
        for row in try connection.query("""
            SELECT g.generation, g.oldest, c.present, c.slot_id, s.day, s.units - s.allocated, s.unit_cost
              FROM (SELECT coalesce((SELECT generation FROM capability_generations WHERE capability = $1), 0) AS generation,
                           (SELECT min(generation) FROM capacity_changes WHERE capability = $1) AS oldest) g
              LEFT JOIN (SELECT DISTINCT slot_id, true AS present FROM capacity_changes
                          WHERE capability = $1 AND generation > $2) c ON true
              LEFT JOIN capacity_slots s ON s.id = c.slot_id
            """, capability, generation) {
            changes.generation = try row.decode(Int64.self, 0)
            oldest = try row.decode(Int64?.self, 1)
            guard !row.isNull(2) else { continue } // nothing logged since
            guard !row.isNull(3), !row.isNull(4) else { // a reshaping, or a slot since deleted
                changes.rereadAll = true
                continue
            }
            changes.slots.append((try row.decode(Int64.self, 3), try row.decode(Day.self, 4),
                                  try row.decode(Int.self, 5), try row.decode(Int64.self, 6)))
        }
        if changes.generation != generation, (oldest ?? .max) > generation + 1 { changes.rereadAll = true }
        return changes
    }
}
