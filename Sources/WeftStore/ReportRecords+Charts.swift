import Foundation
import WeftCore

/// The figures behind the dashboard's charts.
extension ReportRecords {
    /// A factory as a chart row.
    public struct FactoryLabel: Sendable, Hashable {
        public var id: UUID
        public var name: String
        public var region: String
    }

    /// One heat-map cell: a factory's capacity and allocated units on one day (all its
    /// capabilities, or the filtered one).
    public struct HeatCell: Sendable {
        /// Index into the factories of the answer.
        public var factory: Int
        public var day: Day
        public var capacity: Int64
        public var allocated: Int64
    }

    /// The factories that have slots the filter admits, in the heat map's order: by region,
    /// then name. The dashboard pages through this list.
    public static func heatMapFactories(on connection: PostgresConnection, _ filter: SlotFilter) throws -> [FactoryLabel] {
        try connection.query("""
            SELECT f.id, f.name, f.region FROM factories f
            WHERE ($4::text IS NULL OR f.region = $4)
              AND EXISTS (SELECT 1 FROM capacity_slots s WHERE s.factory_id = f.id AND s.day BETWEEN $1 AND $2
                                                           AND ($3::text IS NULL OR s.capability = $3))
            ORDER BY f.region, f.name, f.id
            """, filter.from, filter.to, filter.capability, filter.region).map { row in
            FactoryLabel(id: try row.decode(UUID.self, 0), name: try row.decode(String.self, 1), region: try row.decode(String.self, 2))
        }
    }

    /// The heat map's cells of `factories` (a page of `heatMapFactories`), each cell pointing
    /// at its factory's index in that list; by factory, then day.
    public static func heatMapCells(on connection: PostgresConnection, _ filter: SlotFilter, factories: [FactoryLabel]) throws -> [HeatCell] {
        guard !factories.isEmpty else { return [] }
        var index: [UUID: Int] = [:]
        for (position, factory) in factories.enumerated() { index[factory.id] = position }
        let rows = try connection.query("""
            SELECT s.factory_id, s.day, sum(s.units), sum(s.allocated)
            FROM capacity_slots s
            WHERE s.factory_id = ANY($4::uuid[]) AND s.day BETWEEN $1 AND $2 AND ($3::text IS NULL OR s.capability = $3)
            GROUP BY s.factory_id, s.day
            """, filter.from, filter.to, filter.capability, factories.map(\.id))
        return try rows.compactMap { row in
            guard let position = index[try row.decode(UUID.self, 0)] else { return nil }
            return HeatCell(factory: position, day: try row.decode(Day.self, 1),
                            capacity: try row.decode(Int64.self, 2), allocated: try row.decode(Int64.self, 3))
        }.sorted { ($0.factory, $0.day.ordinal) < ($1.factory, $1.day.ordinal) }
    }

    /// Capacity and allocated units per region, over every slot the filter admits.
    public struct RegionTotal: Sendable {
        public var region: String
        public var factories: Int
        public var capacity: Int64
        public var allocated: Int64
    }

    public static func regionTotals(on connection: PostgresConnection, _ filter: SlotFilter) throws -> [RegionTotal] {
        try connection.query("""
            SELECT f.region, count(DISTINCT s.factory_id), sum(s.units), sum(s.allocated)
            FROM capacity_slots s JOIN factories f ON f.id = s.factory_id
            WHERE s.day BETWEEN $1 AND $2 AND ($3::text IS NULL OR s.capability = $3) AND ($4::text IS NULL OR f.region = $4)
            GROUP BY f.region ORDER BY f.region
            """, filter.from, filter.to, filter.capability, filter.region).map { row in
            RegionTotal(region: try row.decode(String.self, 0), factories: try row.decode(Int.self, 1),
                        capacity: try row.decode(Int64.self, 2), allocated: try row.decode(Int64.self, 3))
        }
    }

    /// One allocation of an order, for the Gantt chart.
    public struct GanttBar: Sendable {
        public var factory: FactoryLabel
        public var leadDays: Int
        public var day: Day
        public var units: Int
        public var unitCost: Int64
        public var status: String
    }

    /// An order's allocations with their factories, by factory name then day.
    public static func ganttBars(on connection: PostgresConnection, orderID: UUID) throws -> [GanttBar] {
        try connection.query("""
            SELECT f.id, f.name, f.region, f.lead_days, s.day, a.units, a.unit_cost, a.status
            FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id JOIN factories f ON f.id = s.factory_id
            WHERE a.order_id = $1 ORDER BY f.name, f.id, s.day
            """, orderID).map { row in
            GanttBar(factory: FactoryLabel(id: try row.decode(UUID.self, 0), name: try row.decode(String.self, 1),
                                           region: try row.decode(String.self, 2)),
                     leadDays: try row.decode(Int.self, 3), day: try row.decode(Day.self, 4), units: try row.decode(Int.self, 5),
                     unitCost: try row.decode(Int64.self, 6), status: try row.decode(String.self, 7))
        }
    }

    /// An order as the dashboard lists it.
    public struct OrderSummary: Sendable {
        public var id: UUID
        public var reference: String?
        public var brokerName: String
        public var capability: String
        public var quantity: Int
        public var allocatedUnits: Int
        public var status: String
        public var releaseDate: Day
        public var dueDate: Day
        public var priority: Int
        /// Factories the order is split across.
        public var factories: Int
        public var unscheduledReason: String?
        /// `reasonCase`'s code for short orders.
        public var reasonCode: String?
    }

    static func summaries(on connection: PostgresConnection, where condition: String, order: String, limit: Int,
                          binds: [any PostgresEncodable] = []) throws -> [OrderSummary] {
        try connection.query("""
            SELECT o.id, o.reference, b.name, o.capability, o.quantity, o.allocated_units, o.status, o.release_date, o.due_date,
                   o.priority, (SELECT count(DISTINCT s.factory_id) FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
                                WHERE a.order_id = o.id), o.unscheduled_reason, \(reasonCase)
            FROM orders o JOIN brokers b ON b.id = o.broker_id
            WHERE \(condition) ORDER BY \(order) LIMIT \(limit)
            """, binds: binds).map { row in
            OrderSummary(id: try row.decode(UUID.self, 0), reference: try row.decode(String?.self, 1), brokerName: try row.decode(String.self, 2),
                         capability: try row.decode(String.self, 3), quantity: try row.decode(Int.self, 4),
                         allocatedUnits: try row.decode(Int.self, 5), status: try row.decode(String.self, 6),
                         releaseDate: try row.decode(Day.self, 7), dueDate: try row.decode(Day.self, 8), priority: try row.decode(Int.self, 9),
                         factories: try row.decode(Int.self, 10), unscheduledReason: try row.decode(String?.self, 11),
                         reasonCode: try row.decode(String?.self, 12))
        }
    }

    /// One order's summary.
    public static func orderSummary(on connection: PostgresConnection, id: UUID) throws -> OrderSummary? {
        try summaries(on: connection, where: "o.id = $1", order: "o.id", limit: 1, binds: [id]).first
    }

    /// The most recently created orders that hold allocations, for the Gantt picker.
    public static func recentPlannedOrders(on connection: PostgresConnection, limit: Int) throws -> [OrderSummary] {
        try summaries(on: connection, where: "o.status IN ('scheduled', 'partial')", order: "o.created_at DESC, o.id DESC", limit: limit)
    }

    /// Short orders, most urgent first: highest priority, then most units missing.
    public static func unservedOrders(on connection: PostgresConnection, limit: Int) throws -> [OrderSummary] {
        try summaries(on: connection, where: "o.status IN ('partial', 'unscheduled')",
                      order: "o.priority DESC, o.quantity - o.allocated_units DESC, o.created_at, o.id", limit: limit)
    }

    /// A run's score as stored: (hard, unserved, cost), any part missing when not recorded.
    public struct Score: Sendable, Equatable {
        public var hard: Int64?
        public var unserved: Int64?
        public var cost: Int64?
    }

    /// One schedule run for the history chart.
    public struct RunPoint: Sendable {
        public var id: UUID
        public var status: String
        public var dryRun: Bool
        public var capabilities: [String]
        public var createdAt: Date
        public var finishedAt: Date?
        public var before: Score
        public var after: Score
        public var bound: Score
        public var moved: Int?
    }

    /// The latest runs, oldest first. Scores are read field by field from the jsonb columns
    /// and a field that is not a number reads as missing, so an odd row never breaks the page.
    public static func runHistory(on connection: PostgresConnection, limit: Int) throws -> [RunPoint] {
        func part(_ column: String, _ key: String) -> String {
            "CASE WHEN jsonb_typeof(\(column)->'\(key)') = 'number' THEN round((\(column)->>'\(key)')::numeric)::bigint END"
        }
        let scores = ["score_before", "score_after", "bound"].flatMap { column in
            ["hard", "unserved", "cost"].map { part(column, $0) }
        }.joined(separator: ", ")
        return try connection.query("""
            SELECT * FROM (SELECT id, status, dry_run, capabilities, created_at, finished_at, moved, \(scores)
                           FROM schedule_runs ORDER BY created_at DESC, id DESC LIMIT \(limit)) t
            ORDER BY created_at, id
            """).map { row in
            func score(_ first: Int) throws -> Score {
                Score(hard: try row.decode(Int64?.self, first), unserved: try row.decode(Int64?.self, first + 1),
                      cost: try row.decode(Int64?.self, first + 2))
            }
            return RunPoint(id: try row.decode(UUID.self, 0), status: try row.decode(String.self, 1), dryRun: try row.decode(Bool.self, 2),
                            capabilities: try row.decode([String].self, 3), createdAt: try row.decode(Date.self, 4),
                            finishedAt: try row.decode(Date?.self, 5), before: try score(7), after: try score(10),
                            bound: try score(13), moved: try row.decode(Int?.self, 6))
        }
    }

    /// Network-wide counts for the dashboard's header.
    public struct Overview: Sendable {
        public var factories: Int
        public var activeFactories: Int
        public var regions: Int
        public var capabilities: Int
        public var brokers: Int
    }

    /// Counts of the network's parts.
    public static func overview(on connection: PostgresConnection) throws -> Overview {
        let row = try connection.query("""
            SELECT (SELECT count(*) FROM factories), (SELECT count(*) FROM factories WHERE active),
                   (SELECT count(DISTINCT region) FROM factories), (SELECT count(DISTINCT capability) FROM factory_capabilities),
                   (SELECT count(*) FROM brokers)
            """)[0]
        return Overview(factories: try row.decode(Int.self, 0), activeFactories: try row.decode(Int.self, 1),
                        regions: try row.decode(Int.self, 2), capabilities: try row.decode(Int.self, 3), brokers: try row.decode(Int.self, 4))
    }
}

extension ReportRecords {
    /// The capabilities and regions that exist, for the dashboard's filter menus.
    public static func filterOptions(on connection: PostgresConnection) throws -> (capabilities: [String], regions: [String]) {
        let capabilities = try connection.query("SELECT DISTINCT capability FROM factory_capabilities ORDER BY 1").map { try $0.decode(String.self, 0) }
        let regions = try connection.query("SELECT DISTINCT region FROM factories ORDER BY 1").map { try $0.decode(String.self, 0) }
        return (capabilities, regions)
    }
}
