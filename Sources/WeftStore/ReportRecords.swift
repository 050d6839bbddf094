import Foundation
import WeftCore

/// SQL for the admin reports. Every figure is aggregated by PostgreSQL; Swift only folds a
/// handful of result rows into shape.
public enum ReportRecords {
    /// What utilisation is grouped by.
    public enum Grouping: String, Sendable, CaseIterable {
        case factory, capability, day
    }

    /// Which slots count: days `from` through `to` (both included), optionally one capability
    /// and one factory region.
    public struct SlotFilter: Sendable {
        public var from: Day
        public var to: Day
        public var capability: String?
        public var region: String?

        public init(from: Day, to: Day, capability: String? = nil, region: String? = nil) {
            self.from = from; self.to = to; self.capability = capability; self.region = region
        }
    }

    /// Capacity and allocated units of one group. Only the key fields of the grouping are set.
    public struct UtilizationRow: Sendable {
        public var factoryID: UUID?
        public var factoryName: String?
        public var region: String?
        public var active: Bool?
        public var capability: String?
        public var day: Day?
        /// Distinct factories with slots in the group.
        public var factories: Int
        public var slots: Int
        public var capacity: Int64
        public var allocated: Int64
    }

    /// Utilisation grouped as asked. Reads `capacity_slots.allocated`, which the allocation
    /// triggers keep exact, so the million-row allocations table is never scanned here.
    public static func utilization(on connection: PostgresConnection, by grouping: Grouping, _ filter: SlotFilter) throws -> [UtilizationRow] {
        let slots = """
            FROM capacity_slots s JOIN factories f ON f.id = s.factory_id
            WHERE s.day BETWEEN $1 AND $2 AND ($3::text IS NULL OR s.capability = $3) AND ($4::text IS NULL OR f.region = $4)
            """
        let binds: [any PostgresEncodable] = [filter.from, filter.to, filter.capability, filter.region]
        switch grouping {
        case .factory:
            return try connection.query("""
                SELECT f.id, f.name, f.region, f.active, count(*), sum(s.units), sum(s.allocated)
                \(slots) GROUP BY f.id ORDER BY f.region, f.name, f.id
                """, binds: binds).map { row in
                UtilizationRow(factoryID: try row.decode(UUID.self, 0), factoryName: try row.decode(String.self, 1),
                               region: try row.decode(String.self, 2), active: try row.decode(Bool.self, 3),
                               factories: 1, slots: try row.decode(Int.self, 4),
                               capacity: try row.decode(Int64.self, 5), allocated: try row.decode(Int64.self, 6))
            }
        case .capability:
            return try connection.query("""
                SELECT s.capability, count(DISTINCT s.factory_id), count(*), sum(s.units), sum(s.allocated)
                \(slots) GROUP BY s.capability ORDER BY s.capability
                """, binds: binds).map { row in
                UtilizationRow(capability: try row.decode(String.self, 0), factories: try row.decode(Int.self, 1),
                               slots: try row.decode(Int.self, 2), capacity: try row.decode(Int64.self, 3),
                               allocated: try row.decode(Int64.self, 4))
            }
        case .day:
            // Every day of the range appears, with zeros where nothing is posted, so that a
            // chart or spreadsheet of the answer has no silent gaps.
            return try connection.query("""
                SELECT d.day::date, coalesce(t.factories, 0), coalesce(t.slots, 0), coalesce(t.capacity, 0), coalesce(t.allocated, 0)
                FROM generate_series($1::date, $2::date, interval '1 day') AS d(day)
                LEFT JOIN (SELECT s.day, count(DISTINCT s.factory_id) AS factories, count(*) AS slots,
                                  sum(s.units) AS capacity, sum(s.allocated) AS allocated
                           \(slots) GROUP BY s.day) t ON t.day = d.day::date
                ORDER BY d.day
                """, binds: binds).map { row in
                UtilizationRow(day: try row.decode(Day.self, 0), factories: try row.decode(Int.self, 1),
                               slots: try row.decode(Int.self, 2), capacity: try row.decode(Int64.self, 3),
                               allocated: try row.decode(Int64.self, 4))
            }
        }
    }

    /// Totals over every slot the filter admits (distinct factories counted once).
    public static func utilizationTotals(on connection: PostgresConnection, _ filter: SlotFilter) throws -> UtilizationRow {
        let row = try connection.query("""
            SELECT count(DISTINCT s.factory_id), count(*), coalesce(sum(s.units), 0), coalesce(sum(s.allocated), 0)
            FROM capacity_slots s JOIN factories f ON f.id = s.factory_id
            WHERE s.day BETWEEN $1 AND $2 AND ($3::text IS NULL OR s.capability = $3) AND ($4::text IS NULL OR f.region = $4)
            """, filter.from, filter.to, filter.capability, filter.region)[0]
        return UtilizationRow(factories: try row.decode(Int.self, 0), slots: try row.decode(Int.self, 1),
                              capacity: try row.decode(Int64.self, 2), allocated: try row.decode(Int64.self, 3))
    }

    /// Which orders the orders report covers.
    public struct OrderFilter: Sendable {
        public var capability: String?
        public var brokerID: UUID?
        /// Orders due on or after this day.
        public var dueFrom: Day?
        /// Orders due on or before this day.
        public var dueTo: Day?

        public init(capability: String? = nil, brokerID: UUID? = nil, dueFrom: Day? = nil, dueTo: Day? = nil) {
            self.capability = capability; self.brokerID = brokerID; self.dueFrom = dueFrom; self.dueTo = dueTo
        }

        var whereClause: String {
            "($1::text IS NULL OR o.capability = $1) AND ($2::uuid IS NULL OR o.broker_id = $2) AND ($3::date IS NULL OR o.due_date >= $3) AND ($4::date IS NULL OR o.due_date <= $4)"
        }

        var binds: [any PostgresEncodable] { [capability, brokerID, dueFrom, dueTo] }
    }

    /// Orders of one status (and, for short orders, one reason).
    public struct StatusGroup: Sendable {
        public var status: String
        /// The reason code for `partial` and `unscheduled` groups; see `reasonCase`.
        public var reason: String?
        /// One stored reason text of the group, for reasons Weft does not classify.
        public var example: String?
        public var orders: Int
        public var quantity: Int64
        public var allocatedUnits: Int64
    }

    /// The allocation-side figures of the orders report.
    public struct AllocationFigures: Sendable {
        /// factories used → open orders with allocations (orders without any are not here:
        /// they are the open orders less these).
        public var factoriesPerOrder: [(factories: Int, orders: Int)] = []
        public var costs: [CapabilityCost] = []
        /// Fully planned open orders whose every unit arrives (production day + the factory's
        /// lead days) by the due date.
        public var ordersOnTime = 0
        /// Fully planned open orders.
        public var ordersFullyPlanned = 0

        /// No figures: for views that need only the status side of the report.
        public init() {}
    }

    /// Money and units of one capability's allocations.
    public struct CapabilityCost: Sendable {
        public var capability: String
        /// Orders with at least one allocation.
        public var orders: Int
        public var units: Int64
        /// Σ units × frozen unit cost.
        public var unitCost: Int64
        /// Σ over (order, factory used) of the factory's current setup cost.
        public var setupCost: Int64
    }

    /// Classifies a short order's stored reason. The texts are the first sentences instant
    /// placement and displacement write (OrderDTO's ShortfallDTO, Displacement); a reason
    /// that matches none is `other` and its text is reported as an example.
    static let reasonCase = """
        CASE WHEN o.status NOT IN ('partial', 'unscheduled') THEN NULL
             WHEN o.unscheduled_reason IS NULL THEN 'not_placed'
             WHEN o.unscheduled_reason LIKE 'No factory slot meets%' THEN 'no_eligible_slot'
             WHEN o.unscheduled_reason LIKE 'The eligible slots have no more free capacity%' THEN 'capacity_full'
             WHEN o.unscheduled_reason LIKE 'More could be made by splitting%' THEN 'split_limit'
             WHEN o.unscheduled_reason LIKE 'The factories with free capacity cannot each make a whole min\\_lot%' THEN 'minimum_lot'
             WHEN o.unscheduled_reason LIKE 'Displaced:%' THEN 'displaced'
             ELSE 'other' END
        """

    /// Orders grouped by status and, for short ones, by reason.
    public static func statusGroups(on connection: PostgresConnection, _ filter: OrderFilter) throws -> [StatusGroup] {
        try connection.query("""
            SELECT status, reason, CASE WHEN reason = 'other' THEN min(unscheduled_reason) END,
                   count(*), coalesce(sum(quantity), 0), coalesce(sum(allocated_units), 0)
            FROM (SELECT o.status, o.quantity, o.allocated_units, o.unscheduled_reason, \(reasonCase) AS reason
                  FROM orders o WHERE \(filter.whereClause)) t
            GROUP BY status, reason ORDER BY status, reason
            """, binds: filter.binds).map { row in
            StatusGroup(status: try row.decode(String.self, 0), reason: try row.decode(String?.self, 1),
                        example: try row.decode(String?.self, 2), orders: try row.decode(Int.self, 3),
                        quantity: try row.decode(Int64.self, 4), allocatedUnits: try row.decode(Int64.self, 5))
        }
    }

    /// Splits, costs and punctuality from the per-(order, factory) totals that the allocation
    /// triggers keep (migration 0006, `order_factory_totals`): pairs are folded into orders,
    /// orders into (capability, factories used) groups, which Swift adds up into the histogram
    /// and the cost table. A pair's arrival is its last production day plus the factory's
    /// current lead days, and its setup cost the factory's current one, as if the allocations
    /// themselves were read.
    ///
    /// With a million allocations there are about 250,000 pairs (benchmarks/report-bench.sh):
    /// - the transaction gets memory for its hash tables, and hashing is preferred over
    ///   sorting and nested loops: the planner cannot estimate the grouped orders and otherwise
    ///   picks sorts and index probes;
    /// - sums are `weft_sum_int8` (migration 0004), a by-value bigint sum: `sum(bigint)`
    ///   accumulates in numeric;
    /// - JIT is off: compiling the expressions costs more than it saves on a query this size;
    /// - no parallel workers: each would build the whole per-order hash table again (the inner
    ///   side of a parallel hash join is not shared), which tripled the CPU time and doubled
    ///   the wall time on two cores; alone the query takes about 0.2 s.
    /// Call it inside a transaction; the settings end with it.
    public static func allocationFigures(on connection: PostgresConnection, _ filter: OrderFilter) throws -> AllocationFigures {
        try connection.execute("""
            SET LOCAL work_mem = '128MB'; SET LOCAL enable_sort = off; SET LOCAL enable_nestloop = off;
            SET LOCAL enable_mergejoin = off; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0
            """)
        let rows = try connection.query("""
            SELECT o.capability, p.factories, count(*), coalesce(weft_sum_int8(p.units), 0), coalesce(weft_sum_int8(p.cost), 0),
                   coalesce(weft_sum_int8(p.setup), 0),
                   count(*) FILTER (WHERE o.allocated_units >= o.quantity AND p.arrival <= o.due_date),
                   count(*) FILTER (WHERE o.allocated_units >= o.quantity)
            FROM (SELECT t.order_id, count(*) AS factories, weft_sum_int8(t.units) AS units, weft_sum_int8(t.cost) AS cost,
                         weft_sum_int8(fc.setup_cost) AS setup, max(t.last_day + f.lead_days) AS arrival
                  FROM order_factory_totals t
                  JOIN factories f ON f.id = t.factory_id
                  -- An order's slots all have its capability, so the pair's setup cost is the
                  -- factory's for that capability.
                  JOIN factory_capabilities fc ON fc.factory_id = t.factory_id AND fc.capability = t.capability
                  WHERE $1::text IS NULL OR t.capability = $1
                  GROUP BY t.order_id) p
            JOIN orders o ON o.id = p.order_id
            WHERE o.status <> 'cancelled' AND \(filter.whereClause)
            GROUP BY o.capability, p.factories
            """, binds: filter.binds)
        var figures = AllocationFigures()
        var splits: [Int: Int] = [:]
        var costs: [String: CapabilityCost] = [:]
        for row in rows {
            let capability = try row.decode(String.self, 0), orders = try row.decode(Int.self, 2)
            splits[try row.decode(Int.self, 1), default: 0] += orders
            costs[capability, default: CapabilityCost(capability: capability, orders: 0, units: 0, unitCost: 0, setupCost: 0)].orders += orders
            costs[capability]!.units += try row.decode(Int64.self, 3)
            costs[capability]!.unitCost += try row.decode(Int64.self, 4)
            costs[capability]!.setupCost += try row.decode(Int64.self, 5)
            figures.ordersOnTime += try row.decode(Int.self, 6)
            figures.ordersFullyPlanned += try row.decode(Int.self, 7)
        }
        figures.factoriesPerOrder = splits.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        figures.costs = costs.values.sorted { $0.capability < $1.capability }
        return figures
    }
}
