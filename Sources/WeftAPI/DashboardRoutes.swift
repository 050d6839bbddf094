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
        let filter = try request.queryInput { ReportRoutes.slotFilter(&$0) }
        let data = try await context.reportsPool.transaction(.repeatableRead) { connection in
            (heat: try ReportRecords.heatMap(on: connection, filter), totals: try ReportRecords.utilizationTotals(on: connection, filter),
             network: try ReportRecords.overview(on: connection), groups: try ReportRecords.statusGroups(on: connection, ReportRecords.OrderFilter()),
             options: try ReportRecords.filterOptions(on: connection))
        }
        let open = data.groups.filter { $0.status != "cancelled" }
        let quantity = open.reduce(Int64(0)) { $0 + $1.quantity }, served = open.reduce(Int64(0)) { $0 + $1.allocatedUnits }
        var body = "<h1>Network utilisation</h1><p class=\"lead\">Allocated ÷ capacity per factory and day, \(filter.from.iso) to \(filter.to.iso)\(filter.capability.map { ", \(escapeHTML($0))" } ?? "")\(filter.region.map { ", \(escapeHTML($0))" } ?? ""). Hover a cell for its figures.</p>"
        body += "<div class=\"tiles\">"
        body += DashboardHTML.tile(String(data.network.activeFactories), "active factories")
        body += DashboardHTML.tile(String(data.network.regions), "regions")
        body += DashboardHTML.tile(String(data.network.capabilities), "capabilities")
        body += DashboardHTML.tile(grouped(Int64(open.reduce(0) { $0 + $1.orders })), "open orders")
        body += DashboardHTML.tile(percent(share(served, of: quantity)), "units planned")
        body += DashboardHTML.tile(percent(share(data.totals.allocated, of: data.totals.capacity)), "utilisation in view")
        body += "</div>"
        body += filterForm(filter, options: data.options)
        if data.heat.factories.isEmpty {
            body += "<div class=\"empty\">No capacity is posted for these days and filters. Factories post it with <code>PUT /v1/factories/{id}/capacity</code>; <code>weft demo</code> loads a demo network.</div>"
        } else {
            body += "<div class=\"panel\">" + SVGHeatMap(factories: data.heat.factories, cells: data.heat.cells, from: filter.from, to: filter.to).render() + "</div>"
        }
        return DashboardHTML.document(title: "Utilisation", current: "/dashboard", body: body)
    }

    private func filterForm(_ filter: ReportRecords.SlotFilter, options: (capabilities: [String], regions: [String])) -> String {
        func select(_ name: String, _ values: [String], _ chosen: String?) -> String {
            var out = "<label>\(name)<select name=\"\(name)\"><option value=\"\">all</option>"
            for value in values {
                out += "<option value=\"\(escapeHTML(value))\"\(value == chosen ? " selected" : "")>\(escapeHTML(value))</option>"
            }
            return out + "</select></label>"
        }
        return "<form class=\"filters\" method=\"get\" action=\"/dashboard\">"
            + "<label>from<input type=\"date\" name=\"from\" value=\"\(filter.from.iso)\"></label>"
            + "<label>to<input type=\"date\" name=\"to\" value=\"\(filter.to.iso)\"></label>"
            + select("capability", options.capabilities, filter.capability) + select("region", options.regions, filter.region)
            + "<button class=\"primary\" type=\"submit\">Show</button></form>"
    }

    // MARK: Order plan

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
        var body = "<h1>Order plan</h1><p class=\"lead\">How one order is split across factories and days. Pick an order below or enter its id.</p>"
        body += "<form class=\"filters\" method=\"get\" action=\"/dashboard/orders\"><label>order id<input name=\"id\" size=\"40\" value=\"\(escapeHTML(data.order?.id.lowercasedString ?? ""))\" placeholder=\"8c1d…\"></label><button class=\"primary\" type=\"submit\">Show</button></form>"
        if let order = data.order {
            body += "<h2>\(escapeHTML(order.reference ?? order.id.lowercasedString)) · \(escapeHTML(order.capability)) · <span class=\"status \(escapeHTML(order.status))\">\(escapeHTML(order.status))</span></h2>"
            body += "<p class=\"lead\">\(grouped(Int64(order.allocatedUnits))) of \(grouped(Int64(order.quantity))) units planned across \(order.factories) factor\(order.factories == 1 ? "y" : "ies") for \(escapeHTML(order.brokerName)); release \(order.releaseDate.iso), due \(order.dueDate.iso), priority \(order.priority).</p>"
            if data.bars.isEmpty {
                body += "<div class=\"empty\">This order has no allocations yet.\(order.unscheduledReason.map { " " + escapeHTML($0) } ?? "")</div>"
            } else {
                body += "<div class=\"panel\">" + SVGGantt(order: order, bars: data.bars, today: .today).render() + "</div>"
            }
        } else {
            body += "<div class=\"empty\">No order has allocations yet. Orders submitted with <code>POST /v1/orders</code> are placed at once.</div>"
        }
        if !data.recent.isEmpty {
            body += "<h2>Recent planned orders</h2><table><thead><tr><th>order</th><th>broker</th><th>capability</th><th class=\"num\">units</th><th class=\"num\">factories</th><th>due</th><th>status</th></tr></thead><tbody>"
            for order in data.recent {
                let id = order.id.lowercasedString
                body += "<tr><td><a href=\"/dashboard/orders?id=\(id)\">\(escapeHTML(order.reference ?? String(id.prefix(8))))</a></td><td>\(escapeHTML(order.brokerName))</td><td>\(escapeHTML(order.capability))</td>"
                body += "<td class=\"num\">\(grouped(Int64(order.allocatedUnits))) / \(grouped(Int64(order.quantity)))</td><td class=\"num\">\(order.factories)</td><td>\(order.dueDate.iso)</td><td><span class=\"status \(escapeHTML(order.status))\">\(escapeHTML(order.status))</span></td></tr>"
            }
            body += "</tbody></table>"
        }
        return DashboardHTML.document(title: "Order plan", current: "/dashboard/orders", body: body)
    }

    // MARK: Unserved

    private func unserved(_ request: Request) async throws -> String {
        try request.queryInput { _ in () }
        let data = try await context.reportsPool.transaction(.repeatableRead) { connection in
            (groups: try ReportRecords.statusGroups(on: connection, ReportRecords.OrderFilter()),
             orders: try ReportRecords.unservedOrders(on: connection, limit: 200))
        }
        let report = OrdersReport(filter: ReportRecords.OrderFilter(), groups: data.groups, figures: ReportRecords.AllocationFigures())
        var body = "<h1>Unserved orders</h1><p class=\"lead\">Units not planned, by the reason placement gave, and the short orders most urgent first (highest priority, then most units missing).</p>"
        body += "<div class=\"tiles\">" + DashboardHTML.tile(grouped(report.units.unserved), "units unserved")
            + DashboardHTML.tile(grouped(Int64(report.unservedByReason.reduce(0) { $0 + $1.orders })), "short orders")
            + DashboardHTML.tile(percent(share(report.units.served, of: report.units.ordered)), "units planned") + "</div>"
        guard !report.unservedByReason.isEmpty else {
            body += "<div class=\"empty\">Every open order is fully planned.</div>"
            return DashboardHTML.document(title: "Unserved", current: "/dashboard/unserved", body: body)
        }
        let bars = report.unservedByReason.map { reason in
            SVGBarChart.Bar(label: reason.reason.replacingOccurrences(of: "_", with: " "), value: reason.units,
                            detail: "\(reason.reason): \(grouped(reason.units)) units in \(reason.orders) orders. \(reason.description)")
        }
        body += "<div class=\"panel\">" + SVGBarChart(title: "Unserved units by reason", valueLabel: "Units not planned", bars: bars).render() + "</div>"
        body += "<h2>Short orders (\(data.orders.count == 200 ? "first 200" : String(data.orders.count)))</h2><table><thead><tr><th>order</th><th>broker</th><th>capability</th><th class=\"num\">planned / ordered</th><th class=\"num\">priority</th><th>due</th><th>reason</th></tr></thead><tbody>"
        for order in data.orders {
            let id = order.id.lowercasedString
            body += "<tr><td><a href=\"/dashboard/orders?id=\(id)\">\(escapeHTML(order.reference ?? String(id.prefix(8))))</a></td><td>\(escapeHTML(order.brokerName))</td><td>\(escapeHTML(order.capability))</td>"
            body += "<td class=\"num\">\(grouped(Int64(order.allocatedUnits))) / \(grouped(Int64(order.quantity)))</td><td class=\"num\">\(order.priority)</td><td>\(order.dueDate.iso)</td>"
            body += "<td><strong>\(escapeHTML((order.reasonCode ?? "").replacingOccurrences(of: "_", with: " ")))</strong> \(escapeHTML(order.unscheduledReason ?? ""))</td></tr>"
        }
        body += "</tbody></table>"
        return DashboardHTML.document(title: "Unserved", current: "/dashboard/unserved", body: body)
    }

    // MARK: Runs

    private func runs(_ request: Request) async throws -> String {
        try request.queryInput { _ in () }
        let runs = try await context.reportsPool.withConnection { connection in try ReportRecords.runHistory(on: connection, limit: 60) }
        var body = "<h1>Schedule runs</h1><p class=\"lead\">The plan's score before and after each re-optimisation run (lower is better), beside the run's lower bound.</p>"
        guard !runs.isEmpty else {
            body += "<div class=\"empty\">No schedule runs yet. An admin starts one with <code>POST /v1/schedule-runs</code>; its scores appear here.</div>"
            return DashboardHTML.document(title: "Runs", current: "/dashboard/runs", body: body)
        }
        body += "<div class=\"panel\">" + SVGRunChart(runs: runs).render() + "</div>"
        body += "<h2>Runs, newest first</h2><table><thead><tr><th>run</th><th>status</th><th>capabilities</th><th class=\"num\">unserved before → after</th><th class=\"num\">cost before → after</th><th class=\"num\">moved</th></tr></thead><tbody>"
        for run in runs.reversed() {
            func pair(_ before: Int64?, _ after: Int64?, _ format: (Int64) -> String) -> String {
                "\(before.map(format) ?? "–") → \(after.map(format) ?? "–")"
            }
            body += "<tr><td><code>\(run.id.lowercasedString.prefix(8))</code>\(run.dryRun ? " (dry run)" : "")</td><td>\(escapeHTML(run.status))</td>"
            body += "<td>\(escapeHTML(run.capabilities.isEmpty ? "all" : run.capabilities.joined(separator: ", ")))</td>"
            body += "<td class=\"num\">\(pair(run.before.unserved, run.after.unserved, grouped))</td><td class=\"num\">\(pair(run.before.cost, run.after.cost, money))</td>"
            body += "<td class=\"num\">\(run.moved.map(String.init) ?? "–")</td></tr>"
        }
        body += "</tbody></table>"
        return DashboardHTML.document(title: "Runs", current: "/dashboard/runs", body: body)
    }
}
