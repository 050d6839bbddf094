import Foundation
import WeftCore
import WeftHTTP
import WeftStore

extension DashboardRoutes {
    /// Batch groups shown at most on one page.
    static let batchRows = 300

    /// `/dashboard/batches`: per day and factory, the pools made together and how full their
    /// batches are (`from`, `to`, `capability` as in the reports; default the next 7 days).
    func batches(_ request: Request) async throws -> String {
        let (capability, from, to) = try BatchRoutes.query(request, defaultDays: 6)
        let groups = try await context.reportsPool.withConnection { connection in
            try BatchRecords.groups(on: connection, factoryID: nil, capability: capability, from: from, to: to, limit: Self.batchRows + 1)
        }
        let shown = groups.prefix(Self.batchRows).map(BatchDTO.init)
        struct Row { var date: String, factory: String, capability: String, pool: String?, orders: String, units: String, batches: String, fill: String, cost: String }
        struct View {
            var from: String, to: String, capability: String
            var tiles: [DashboardHTML.Tile]
            var hasRows: Bool, rows: [Row], truncated: Bool, shown: Int
        }
        let limited = shown.filter { $0.batchUnits != nil }
        let room = limited.reduce(0) { $0 + $1.batches * ($1.batchUnits ?? 0) }
        let pooled = shown.filter { $0.pool != nil }
        let view = View(
            from: from.iso, to: to.iso, capability: capability ?? "",
            tiles: [.init(grouped(Int64(shown.reduce(0) { $0 + $1.batches })), "batches"),
                    .init(grouped(Int64(pooled.count)), "shared by a pool"),
                    .init(grouped(Int64(pooled.reduce(0) { $0 + $1.orders.count })), "pooled orders"),
                    .init(percent(room > 0 ? Double(limited.reduce(0) { $0 + $1.units }) / Double(room) : nil), "mean fill")],
            hasRows: !shown.isEmpty,
            rows: zip(groups.prefix(Self.batchRows), shown).map { group, batch in
                Row(date: batch.date.iso, factory: group.factoryName, capability: batch.capability, pool: batch.pool,
                    orders: String(batch.orders.count), units: grouped(Int64(batch.units)), batches: String(batch.batches),
                    fill: percent(batch.fill), cost: money(batch.cost))
            },
            truncated: groups.count > Self.batchRows, shown: Self.batchRows)
        return DashboardHTML.document("batches", title: "Batches", current: "/dashboard/batches", view: view)
    }
}
