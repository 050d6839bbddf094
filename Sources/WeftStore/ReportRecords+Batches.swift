import Foundation
import WeftCore

extension ReportRecords {
    /// Batches of one utilisation group: how many, and how full the limited ones are.
    public struct BatchFigures: Sendable, Equatable {
        /// Σ over (slot, pool group) of ⌈units / batch_units⌉ (1 when unlimited).
        public var batches: Int64 = 0
        /// Units in batches of limited size.
        public var limitedUnits: Int64 = 0
        /// Σ batches × batch_units over batches of limited size.
        public var limitedRoom: Int64 = 0

        public init() {}

        /// limitedUnits ÷ limitedRoom: the mean fill of the group's limited batches, weighted by
        /// their size; nil when it has none.
        public var meanFill: Double? {
            limitedRoom > 0 ? (Double(limitedUnits) / Double(limitedRoom) * 10_000).rounded() / 10_000 : nil
        }
    }

    /// The (slot, pool group) batch rows of the slots `filter` admits: a pool's units from
    /// `slot_pool_units`, an order without a pool from its own allocation.
    static let batchGroups = """
        SELECT s.factory_id, s.capability, s.day, g.units, fc.batch_units
          FROM capacity_slots s JOIN factories f ON f.id = s.factory_id
          JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
          JOIN (SELECT p.slot_id, p.units FROM slot_pool_units p
                UNION ALL
                SELECT a.slot_id, a.units FROM allocations a JOIN orders o ON o.id = a.order_id WHERE o.pool IS NULL) g ON g.slot_id = s.id
         WHERE s.day BETWEEN $1 AND $2 AND ($3::text IS NULL OR s.capability = $3) AND ($4::text IS NULL OR f.region = $4)
           AND g.units > 0
        """

    /// Batch figures per utilisation group, keyed like the group (factory id, capability or
    /// day as text), and over everything the filter admits (key "").
    public static func batchFigures(on connection: PostgresConnection, by grouping: Grouping, _ filter: SlotFilter) throws -> [String: BatchFigures] {
        let key: String
        switch grouping {
        case .factory: key = "b.factory_id::text"
        case .capability: key = "b.capability"
        case .day: key = "b.day::text"
        }
        var figures: [String: BatchFigures] = [:]
        for row in try connection.query("""
            SELECT coalesce(\(key), ''), coalesce(weft_sum_int8(CASE WHEN b.batch_units IS NULL THEN 1 ELSE (b.units + b.batch_units - 1) / b.batch_units END), 0),
                   coalesce(weft_sum_int8(b.units) FILTER (WHERE b.batch_units IS NOT NULL), 0),
                   coalesce(weft_sum_int8(((b.units + b.batch_units - 1) / b.batch_units) * b.batch_units) FILTER (WHERE b.batch_units IS NOT NULL), 0)
              FROM (\(batchGroups)) b
             GROUP BY GROUPING SETS ((\(key)), ())
            """, filter.from, filter.to, filter.capability, filter.region) {
            var item = BatchFigures()
            item.batches = try row.decode(Int64.self, 1)
            item.limitedUnits = try row.decode(Int64.self, 2)
            item.limitedRoom = try row.decode(Int64.self, 3)
            figures[try row.decode(String.self, 0)] = item
        }
        return figures
    }

    /// What the orders' batches cost, per capability: paid (each order's share of the batches
    /// it is in, in proportion to units: over whole batches the shares add up to their cost)
    /// against what the same allocations would cost with every order in batches of its own.
    /// Only slots of factories with a batch cost are read, so a network without batch costs
    /// costs nothing here.
    public static func poolingFigures(on connection: PostgresConnection, _ filter: OrderFilter) throws -> [String: (paid: Int64, alone: Int64)] {
        var figures: [String: (paid: Int64, alone: Int64)] = [:]
        for row in try connection.query("""
            SELECT o.capability,
                   round(sum(CASE WHEN o.pool IS NULL THEN x.alone
                                  ELSE x.grouped::numeric * a.units / p.units END))::int8,
                   weft_sum_int8(x.alone)
              FROM factory_capabilities fc
              JOIN capacity_slots s ON s.factory_id = fc.factory_id AND s.capability = fc.capability
              JOIN allocations a ON a.slot_id = s.id
              JOIN orders o ON o.id = a.order_id
              LEFT JOIN slot_pool_units p ON p.slot_id = a.slot_id AND p.pool = o.pool
              CROSS JOIN LATERAL (SELECT
                   fc.batch_cost * CASE WHEN fc.batch_units IS NULL THEN 1 ELSE (a.units + fc.batch_units - 1) / fc.batch_units END AS alone,
                   fc.batch_cost * CASE WHEN fc.batch_units IS NULL THEN 1 ELSE (coalesce(p.units, a.units) + fc.batch_units - 1) / fc.batch_units END AS grouped) x
             WHERE fc.batch_cost > 0 AND o.status <> 'cancelled' AND \(filter.whereClause)
             GROUP BY o.capability
            """, binds: filter.binds) {
            figures[try row.decode(String.self, 0)] = (try row.decode(Int64.self, 1), try row.decode(Int64.self, 2))
        }
        return figures
    }
}
