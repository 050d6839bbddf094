import WeftStore

/// Compares `order_factory_totals` (kept by the allocation triggers, migration 0006) with a
/// fresh aggregate of the allocations.
public enum OrderFactoryTotalsCheck {
    /// The (order, factory) pairs whose stored figures differ from the allocations': missing,
    /// left over, or with other units, cost, capability or last day.
    public static let mismatchesSQL = """
        WITH fresh AS (
            SELECT a.order_id, s.factory_id, min(s.capability) AS capability, sum(a.units)::bigint AS units,
                   sum(a.units::bigint * a.unit_cost)::bigint AS cost, max(s.day) AS last_day
              FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
             GROUP BY a.order_id, s.factory_id)
        SELECT count(*) FROM fresh f FULL JOIN order_factory_totals t ON t.order_id = f.order_id AND t.factory_id = f.factory_id
         WHERE (f.capability, f.units, f.cost, f.last_day) IS DISTINCT FROM (t.capability, t.units, t.cost, t.last_day)
        """

    /// How many pairs differ (0 when the summary is exact).
    public static func mismatches(_ pool: PostgresPool) async throws -> Int {
        try await pool.query(mismatchesSQL)[0].decode(Int.self, 0)
    }

    /// How many pairs the summary holds.
    public static func pairs(_ pool: PostgresPool) async throws -> Int {
        try await pool.query("SELECT count(*) FROM order_factory_totals")[0].decode(Int.self, 0)
    }
}
