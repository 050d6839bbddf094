import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

/// The admin dashboard: server-rendered pages with inline SVG charts, outside `/v1` and so
/// outside the API key gate; every page checks the session cookie itself (`DashboardAuth`).
struct DashboardRoutes {
    let context: AppContext
    var auth: DashboardAuth { DashboardAuth(context: context) }

    func register(on builder: inout RouterBuilder) {
        builder.get("/dashboard") { try await guarded($0, current: "/dashboard", render: overview) }
        builder.get("/dashboard/orders") { try await guarded($0, current: "/dashboard/orders", render: orderPlan) }
        builder.get("/dashboard/unserved") { try await guarded($0, current: "/dashboard/unserved", render: unserved) }
        builder.get("/dashboard/runs") { try await guarded($0, current: "/dashboard/runs", render: runs) }
        builder.get("/dashboard/batches") { try await guarded($0, current: "/dashboard/batches", render: batches) }
        builder.get("/dashboard/login") { try await auth.loginForm($0) }
        builder.post("/dashboard/login") { try await auth.login($0) }
        builder.post("/dashboard/logout") { try await auth.logout($0) }
    }

    /// Runs `render` for a signed-in admin. Without a valid session: 303 to the sign-in form,
    /// which brings the admin back here afterwards. Refusals render as HTML pages.
    private func guarded(_ request: Request, current: String, render: (Request) async throws -> String) async throws -> Response {
        guard try await auth.session(request) != nil else {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "/-_.")
            let next = DashboardAuth.safeNext(request.uri)
            var headers: HTTPHeaders = [:]
            if DashboardAuth.cookieToken(request) != nil {
                headers.add(name: "Set-Cookie", value: "\(DashboardAuth.cookieName)=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict")
            }
            return DashboardHTML.redirect(to: "/dashboard/login?next=\(next.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")", headers: headers)
        }
        do {
            return DashboardHTML.response(try await render(request))
        } catch let error as any HTTPErrorConvertible {
            return DashboardHTML.errorPage(error.httpError, current: current)
        }
    }

    // MARK: Utilisation

    private func overview(_ request: Request) async throws -> String {
        let (filter, page) = try request.queryInput { reader in
            (ReportRoutes.slotFilter(&reader), reader.int("page", in: 1...1_000_000) ?? 1)
        }
        let data = try await context.reportsPool.transaction(.repeatableRead) { connection in
            let factories = try ReportRecords.heatMapFactories(on: connection, filter)
            let shown = HeatMapPages.slice(factories, page: page)
            return (factories: factories, shown: shown, cells: try ReportRecords.heatMapCells(on: connection, filter, factories: Array(shown)),
                    regions: try ReportRecords.regionTotals(on: connection, filter), totals: try ReportRecords.utilizationTotals(on: connection, filter),
                    network: try ReportRecords.overview(on: connection), groups: try ReportRecords.statusGroups(on: connection, ReportRecords.OrderFilter()),
                    options: try ReportRecords.filterOptions(on: connection))
        }
        let pages = HeatMapPages(filter: filter, factories: data.factories, page: page)
        guard page <= max(pages.count, 1) else {
            throw HTTPError(.notFound, detail: "There is no page \(page) of the heat map: these filters give \(pages.count) page\(pages.count == 1 ? "" : "s").",
                            errors: [FieldError(field: "page", message: "must be at most \(pages.count)")])
        }
        let open = data.groups.filter { $0.status != "cancelled" }
        let quantity = open.reduce(Int64(0)) { $0 + $1.quantity }, served = open.reduce(Int64(0)) { $0 + $1.allocatedUnits }
        struct Option { var value: String; var selected: Bool }
        struct View {
            var from: String, to: String, capability: String?, region: String?
            var tiles: [DashboardHTML.Tile]
            var capabilities: [Option], regions: [Option]
            var paging: HeatMapPages.View?
            var chart: Markup?
            var regionTotals: [HeatMapPages.TotalRow], pageTotal: HeatMapPages.TotalRow?, allTotal: HeatMapPages.TotalRow
        }
        let shownCells = data.cells
        let view = View(
            from: filter.from.iso, to: filter.to.iso, capability: filter.capability, region: filter.region,
            tiles: [
                .init(String(data.network.activeFactories), "active factories"), .init(String(data.network.regions), "regions"),
                .init(String(data.network.capabilities), "capabilities"), .init(grouped(Int64(open.reduce(0) { $0 + $1.orders })), "open orders"),
                .init(percent(share(served, of: quantity)), "units planned"),
                .init(percent(share(data.totals.allocated, of: data.totals.capacity)), "utilisation in view"),
            ],
            capabilities: data.options.capabilities.map { Option(value: $0, selected: $0 == filter.capability) },
            regions: data.options.regions.map { Option(value: $0, selected: $0 == filter.region) },
            paging: pages.count > 1 ? pages.view : nil,
            chart: data.shown.isEmpty ? nil
                : SVGHeatMap(factories: Array(data.shown), cells: shownCells, from: filter.from, to: filter.to).render(),
            regionTotals: data.regions.map { pages.totalRow(region: $0) },
            pageTotal: pages.count > 1 ? pages.pageTotal(cells: shownCells, factories: data.shown.count) : nil,
            allTotal: HeatMapPages.TotalRow(label: "All", href: nil, factories: data.totals.factories,
                                            capacity: data.totals.capacity, allocated: data.totals.allocated))
        return DashboardHTML.document("overview", title: "Utilisation", current: "/dashboard", view: view)
    }

    // MARK: Order plan

    /// A row of the order tables, and the chosen order's heading.
    struct OrderRow {
        var id: String, label: String, broker: String, capability: String, status: String
        var allocated: String, quantity: String, factories: Int, priority: Int, release: String, due: String
        var reasonCode: String, reason: String

        init(_ order: ReportRecords.OrderSummary) {
            id = order.id.lowercasedString
            label = order.reference ?? String(id.prefix(8))
            broker = order.brokerName
            capability = order.capability
            status = order.status
            allocated = grouped(Int64(order.allocatedUnits))
            quantity = grouped(Int64(order.quantity))
            factories = order.factories
            priority = order.priority
            release = order.releaseDate.iso
            due = order.dueDate.iso
            reasonCode = (order.reasonCode ?? "").replacingOccurrences(of: "_", with: " ")
            reason = order.unscheduledReason ?? ""
        }
    }

    private func orderPlan(_ request: Request) async throws -> String {
        let chosen = try request.queryInput { $0.id("id") }
        let data = try await context.reportsPool.transaction(.repeatableRead) { connection -> (recent: [ReportRecords.OrderSummary], order: ReportRecords.OrderSummary?, bars: [ReportRecords.GanttBar]) in
            let recent = try ReportRecords.recentPlannedOrders(on: connection, limit: 40)
            // Without a choice, show the most split of the recent orders: the richest picture.
            let id = chosen.flatMap { UUID(uuidString: $0.text) } ?? recent.max { ($0.factories, $1.id.uuidString) < ($1.factories, $0.id.uuidString) }?.id
            guard let id, let order = try ReportRecords.orderSummary(on: connection, id: id) else { return (recent, nil, []) }
            return (recent, order, try ReportRecords.ganttBars(on: connection, orderID: id))
        }
        if let chosen, data.order == nil { throw notFound("order", chosen.text) }
        struct Chosen {
            var label: String, capability: String, status: String, allocated: String, quantity: String, factories: String
            var broker: String, release: String, due: String, priority: Int, reason: String?, chart: Markup?
        }
        struct View { var idValue: String; var order: Chosen?; var hasRecent: Bool; var recent: [OrderRow] }
        let order = data.order.map { order in
            Chosen(label: order.reference ?? order.id.lowercasedString, capability: order.capability, status: order.status,
                   allocated: grouped(Int64(order.allocatedUnits)), quantity: grouped(Int64(order.quantity)),
                   factories: "\(order.factories) factor\(order.factories == 1 ? "y" : "ies")", broker: order.brokerName,
                   release: order.releaseDate.iso, due: order.dueDate.iso, priority: order.priority, reason: order.unscheduledReason,
                   chart: data.bars.isEmpty ? nil : SVGGantt(order: order, bars: data.bars, today: .today).render())
        }
        let view = View(idValue: data.order?.id.lowercasedString ?? "", order: order, hasRecent: !data.recent.isEmpty, recent: data.recent.map(OrderRow.init))
        return DashboardHTML.document("orders", title: "Order plan", current: "/dashboard/orders", view: view)
    }

    // MARK: Unserved

    private func unserved(_ request: Request) async throws -> String {
        try request.queryInput { _ in () }
        let data = try await context.reportsPool.transaction(.repeatableRead) { connection in
            (groups: try ReportRecords.statusGroups(on: connection, ReportRecords.OrderFilter()),
             orders: try ReportRecords.unservedOrders(on: connection, limit: 200))
        }
        let report = OrdersReport(filter: ReportRecords.OrderFilter(), groups: data.groups, figures: ReportRecords.AllocationFigures(), pooling: [:])
        let bars = report.unservedByReason.map { reason in
            SVGBarChart.Bar(label: reason.reason.replacingOccurrences(of: "_", with: " "), value: reason.units,
                            detail: "\(reason.reason): \(grouped(reason.units)) units in \(reason.orders) orders. \(reason.description)")
        }
        struct View { var tiles: [DashboardHTML.Tile]; var chart: Markup?; var shownCount: String; var orders: [OrderRow] }
        let view = View(
            tiles: [.init(grouped(report.units.unserved), "units unserved"),
                    .init(grouped(Int64(report.unservedByReason.reduce(0) { $0 + $1.orders })), "short orders"),
                    .init(percent(share(report.units.served, of: report.units.ordered)), "units planned")],
            chart: bars.isEmpty ? nil : SVGBarChart(title: "Unserved units by reason", valueLabel: "Units not planned", bars: bars).render(),
            shownCount: data.orders.count == 200 ? "first 200" : String(data.orders.count), orders: data.orders.map(OrderRow.init))
        return DashboardHTML.document("unserved", title: "Unserved", current: "/dashboard/unserved", view: view)
    }

    // MARK: Runs

    private func runs(_ request: Request) async throws -> String {
        try request.queryInput { _ in () }
        let runs = try await context.reportsPool.withConnection { connection in try ReportRecords.runHistory(on: connection, limit: 60) }
        struct Row { var shortID: String, dryRun: Bool, status: String, capabilities: String, unserved: String, cost: String, moved: String }
        struct View { var chart: Markup?; var runs: [Row] }
        func pair(_ before: Int64?, _ after: Int64?, _ format: (Int64) -> String) -> String {
            "\(before.map(format) ?? "–") → \(after.map(format) ?? "–")"
        }
        let rows = runs.reversed().map { run in
            Row(shortID: String(run.id.lowercasedString.prefix(8)), dryRun: run.dryRun, status: run.status,
                capabilities: run.capabilities.isEmpty ? "all" : run.capabilities.joined(separator: ", "),
                unserved: pair(run.before.unserved, run.after.unserved, grouped), cost: pair(run.before.cost, run.after.cost, money),
                moved: run.moved.map(String.init) ?? "–")
        }
        let view = View(chart: runs.isEmpty ? nil : SVGRunChart(runs: runs).render(), runs: rows)
        return DashboardHTML.document("runs", title: "Runs", current: "/dashboard/runs", view: view)
    }
}
