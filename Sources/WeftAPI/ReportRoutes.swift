import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `GET /v1/reports/utilization` and `GET /v1/reports/orders` (admin): JSON by default, CSV
/// for `Accept: text/csv`.
struct ReportRoutes {
    let context: AppContext

    /// Days covered when `to` is not given (from `from` on, both included).
    static let defaultDays = 30
    /// Longest range one utilisation report covers: a year, like the capacity reads.
    static let maxRangeDays = 366

    func register(on builder: inout RouterBuilder) {
        builder.get("/v1/reports/utilization") { try await utilization($0) }
        builder.get("/v1/reports/orders") { try await orders($0) }
    }

    /// The utilisation query: grouping and slot filter.
    struct UtilizationQuery: Sendable {
        var grouping: ReportRecords.Grouping
        var filter: ReportRecords.SlotFilter
    }

    /// Reads `from`/`to` (default: today and 29 days later), `capability` and `region`; shared
    /// with the dashboard's heat map so both accept the same parameters and ranges.
    static func slotFilter(_ reader: inout QueryReader, today: Day = .today) -> ReportRecords.SlotFilter {
        let capability = reader.capability("capability")
        let region = reader.code("region", rule: .region)
        let range = reader.dateRange()
        let from = range.from ?? (range.to.map { min(today, $0) } ?? today)
        let to = range.to ?? min(from.adding(days: defaultDays - 1), CapacityRoutes.lastDay)  // years end at 9999
        if to.ordinal - from.ordinal >= maxRangeDays {
            reader.report("to", "must be at most \(maxRangeDays) days from from (\(from.adding(days: maxRangeDays - 1).iso) at the latest); ask for longer periods in several requests")
        }
        return ReportRecords.SlotFilter(from: from, to: to, capability: capability?.code, region: region)
    }

    private func utilization(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let query = try request.queryInput { reader in
            let grouping = reader.oneOf("group_by", ReportRecords.Grouping.allCases.map(\.rawValue)).flatMap(ReportRecords.Grouping.init) ?? .factory
            return UtilizationQuery(grouping: grouping, filter: Self.slotFilter(&reader))
        }
        let (rows, totals, batches) = try await context.reportsPool.transaction(.repeatableRead) { connection in
            (try ReportRecords.utilization(on: connection, by: query.grouping, query.filter),
             try ReportRecords.utilizationTotals(on: connection, query.filter),
             try ReportRecords.batchFigures(on: connection, by: query.grouping, query.filter))
        }
        let report = UtilizationReport(query: query, rows: rows, totals: totals, batches: batches)
        switch ReportFormat.negotiate(request) {
        case .csv: return report.csv.response(filename: "utilization-by-\(query.grouping.rawValue)-\(query.filter.from.iso)-\(query.filter.to.iso).csv")
        case .json: return try Self.json(report)
        }
    }

    private func orders(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let filter = try request.queryInput { reader in
            let capability = reader.capability("capability")
            let broker = reader.id("broker_id")
            let due = reader.dateRange(from: "due_from", to: "due_to")
            return ReportRecords.OrderFilter(capability: capability?.code, brokerID: broker.flatMap { UUID(uuidString: $0.text) },
                                             dueFrom: due.from, dueTo: due.to)
        }
        // One snapshot, so the sections of the report agree with each other.
        let (groups, figures, pooling) = try await context.reportsPool.transaction(.repeatableRead) { connection in
            // Pooling first: allocationFigures sets planner settings for the rest of the transaction.
            let pooling = try ReportRecords.poolingFigures(on: connection, filter)
            return (try ReportRecords.statusGroups(on: connection, filter), try ReportRecords.allocationFigures(on: connection, filter), pooling)
        }
        let report = OrdersReport(filter: filter, groups: groups, figures: figures, pooling: pooling)
        switch ReportFormat.negotiate(request) {
        case .csv: return report.csv.response(filename: "orders-report.csv")
        case .json: return try Self.json(report)
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        var response = try Response.json(value)
        response.headers.add(name: "Vary", value: "Accept")
        return response
    }
}

/// A ratio rounded to 4 decimals (0.8125 = 81.25 %); nil when there is nothing to divide by.
func share(_ part: Int64, of whole: Int64) -> Double? {
    guard whole > 0 else { return nil }
    return (Double(part) / Double(whole) * 10_000).rounded() / 10_000
}

/// Money divided by units, rounded half up to whole minor units (money stays integral).
func perUnit(_ money: Int64, _ units: Int64) -> Int64? {
    guard units > 0 else { return nil }
    return (money * 2 + units) / (units * 2)
}
