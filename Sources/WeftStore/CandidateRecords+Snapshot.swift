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
