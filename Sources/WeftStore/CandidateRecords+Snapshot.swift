import Foundation
import WeftCore

extension CandidateRecords {
    /// Every factory offering `capability` (active or not) with all its slots from `from` on,
    /// free or full, and the capability's generation (see migration 0005): what the order
    /// placement cache holds. Run it in a REPEATABLE READ transaction so that the generation
    /// and the slots come from one snapshot.
    public static func snapshot(on connection: PostgresConnection, capability: String, from: Day) throws -> (candidates: Candidates, generation: Int64) {
        let generation = try generation(on: connection, capability: capability)
        let rows = try connection.query("""
            SELECT \(columns)
              FROM factory_capabilities fc
              JOIN factories f ON f.id = fc.factory_id
              LEFT JOIN capacity_slots s ON s.factory_id = fc.factory_id AND s.capability = fc.capability AND s.day >= $2
             WHERE fc.capability = $1
             ORDER BY f.id, s.day, s.id
            """, capability, from)
        var candidates = Candidates()
        var index: [UUID: Int] = [:]
        var previous: PostgresRow?
        for row in rows {
            try candidates.add(row, previous: previous, factoryIndex: &index)
            previous = row
        }
        return (candidates, generation)
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
