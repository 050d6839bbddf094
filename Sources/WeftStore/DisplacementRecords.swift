import Foundation
import WeftCore

/// SQL for displacement: when a factory lowers slots below what is allocated there, release
/// allocations until each slot fits again.
public enum DisplacementRecords {
    /// An allocation released by displacement.
    public struct Released: Sendable {
        public var orderID: UUID
        public var units: Int
    }

    /// Releases allocations so that each slot of `factoryID` named in `slots` fits its new
    /// `units`. Which go, per slot: planned before confirmed (confirmed work is a promise the
    /// factory made; it goes only when nothing else is left), then lower priority first, then
    /// the newest order first (older promises stand). When a planned allocation goes, the
    /// order's other planned allocations at this factory go with it, so no order is left with
    /// less than its minimum lot there; the order is then re-placed as a whole.
    public static func release(on connection: PostgresConnection, factoryID: UUID,
                               slots: [(capability: String, day: Day, units: Int)]) throws -> [Released] {
        let tight = try connection.query("""
            SELECT s.id, s.allocated - t.units
              FROM capacity_slots s
              JOIN unnest($2::text[], $3::date[], $4::int8[]) AS t(capability, day, units)
                ON s.capability = t.capability AND s.day = t.day
             WHERE s.factory_id = $1 AND s.allocated > t.units
             ORDER BY s.id
               FOR UPDATE OF s
            """, factoryID, slots.map(\.capability), slots.map(\.day), slots.map { Int64($0.units) })
        var excess: [Int64: Int] = [:]
        for row in tight { excess[try row.decode(Int64.self, 0)] = try row.decode(Int.self, 1) }
        guard !excess.isEmpty else { return [] }

        let candidates = try connection.query("""
            SELECT a.id, a.slot_id, a.order_id, a.units, a.status = 'confirmed'
              FROM allocations a JOIN orders o ON o.id = a.order_id
             WHERE a.slot_id = ANY($1)
             ORDER BY a.slot_id, (a.status = 'confirmed'), o.priority, o.created_at DESC, a.id
            """, Array(excess.keys))
        var releaseIDs: Set<Int64> = []
        var wholeShares: Set<UUID> = []   // orders whose planned work at this factory goes entirely
        for row in candidates {
            let slot = try row.decode(Int64.self, 1)
            guard let left = excess[slot], left > 0 else { continue }
            let id = try row.decode(Int64.self, 0)
            guard !releaseIDs.contains(id) else { continue }
            let order = try row.decode(UUID.self, 2)
            let confirmed = try row.decode(Bool.self, 4)
            releaseIDs.insert(id)
            if !confirmed { wholeShares.insert(order) }
            excess[slot] = left - (try row.decode(Int.self, 3))
        }
        if !wholeShares.isEmpty {
            for row in try connection.query("""
                SELECT a.id FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
                 WHERE s.factory_id = $1 AND a.order_id = ANY($2) AND a.status = 'planned'
                """, factoryID, Array(wholeShares)) {
                releaseIDs.insert(try row.decode(Int64.self, 0))
            }
        }
        return try connection.query("DELETE FROM allocations WHERE id = ANY($1) RETURNING order_id, units", Array(releaseIDs)).map {
            Released(orderID: try $0.decode(UUID.self, 0), units: try $0.decode(Int.self, 1))
        }
    }
}
