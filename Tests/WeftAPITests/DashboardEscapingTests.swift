import Foundation
import Testing
@testable import WeftAPI
import WeftTestSupport

/// Every text a tenant controls reaches the dashboard only escaped: the pages are Mustache
/// templates (escaping by default) and the charts come from `SVGBuilder` (escaping always).
@Suite("Dashboard: templates escape what tenants write")
struct DashboardEscapingTests {
    /// Names that would be markup (or break out of an attribute) if they went through raw.
    static let hostile = ["<script>alert(1)</script>", #""'&<>"#, #"x" onmouseover="alert(2)"#, "</title><svg onload=alert(3)>"]

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test func templatesInsertOnlyBuiltChartsUnescaped() throws {
        let folder = try #require(DashboardTemplates.folder)
        let sources = DashboardTemplates.sources(in: folder)
        #expect(Set(sources.map(\.name)).isSuperset(of: ["layout", "login", "error", "overview", "orders", "unserved", "runs"]))
        for (name, text) in sources {
            // {{{name}}} and {{& name}} are Mustache's unescaped forms; only `chart` (a Markup,
            // which only SVGBuilder can make) may be inserted so.
            var rest = text[...]
            while let open = rest.range(of: "{{") {
                let tag = rest[open.upperBound...]
                if tag.hasPrefix("{") || tag.hasPrefix("&") {
                    let inner = tag.dropFirst().prefix { $0 != "}" }.trimmingCharacters(in: .whitespaces)
                    #expect(inner == "chart", "template \(name) inserts \(inner) unescaped")
                }
                rest = tag
            }
            // Every template parses.
            #expect(DashboardTemplates.library.getTemplate(named: name) != nil, "template \(name)")
        }
    }

    @Test func svgBuilderEscapesTextAndAttributeValues() {
        let markup = SVGBuilder.chart(class: "x\" onload=\"alert(1)", width: 10, height: 5.25, title: "<b>&") { svg in
            svg.text("</text><script>", ["x": 1.5, "fill": "\"><script>"], title: "'")
            svg.element("rect", ["x": 0, "y": 2], title: nil)
        }
        #expect(markup.html.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" class="chart x&quot; onload=&quot;alert(1)" role="img" width="10" height="5.3""#))
        #expect(markup.html.contains("<title>&lt;b&gt;&amp;</title>"))
        #expect(markup.html.contains(#"<text x="1.5" fill="&quot;&gt;&lt;script&gt;"><title>&#39;</title>&lt;/text&gt;&lt;script&gt;</text>"#))
        #expect(markup.html.contains(#"<rect x="0" y="2"/>"#))
        #expect(!markup.html.contains("<script"))
    }

    /// Brokers, factories and orders created through the API with hostile names and
    /// references: every dashboard page shows them escaped and never raw.
    @Test func namesFromTheAPIComeOutEscapedOnEveryPage() async throws {
        let fixture = try await FactoryAPIFixture.start()
        let today = NetworkFixture.today
        var orderIDs: [String] = []
        for (index, name) in Self.hostile.enumerated() {
            let json = try String(decoding: JSONSerialization.data(withJSONObject: ["name": name]), as: UTF8.self)
            let broker = try await fixture.admin("POST", "/v1/brokers", json: json)
            try #require(broker.status == 201, "\(broker.text)")
            let brokerID = try #require(broker.json["id"] as? String)
            let factory = try await fixture.admin("POST", "/v1/factories", json: try String(decoding: JSONSerialization.data(withJSONObject: [
                "name": name, "region": "CN-G\(index)", "lead_days": 1, "capabilities": [["capability": "pcb.fab", "setup_cost": 0]],
            ]), as: UTF8.self))
            try #require(factory.status == 201, "\(factory.text)")
            let factoryID = try #require(factory.json["id"] as? String)
            let capacity = try await fixture.admin("PUT", "/v1/factories/\(factoryID)/capacity", json: slotsBody([
                ("pcb.fab", today.adding(days: 1).iso, 50, 10 + index), ("pcb.fab", today.adding(days: 2).iso, 50, 10 + index),
            ]))
            try #require(capacity.status == 200, "\(capacity.text)")
            // One order placed in part (more than the network can make by its due date), so
            // it is on the order plan and the unserved page.
            let order = try await fixture.admin("POST", "/v1/orders", json: try String(decoding: JSONSerialization.data(withJSONObject: [
                "broker_id": brokerID, "capability": "pcb.fab", "quantity": 1000, "due_date": today.adding(days: 4).iso,
                "reference": name, "priority": 5,
            ]), as: UTF8.self))
            try #require(order.status == 201, "\(order.text)")
            orderIDs.append(try #require(order.json["id"] as? String))
        }
        let token = try #require(try await DashboardTests.signIn(fixture.server, key: fixture.adminKey).1)
        var paths = ["/dashboard", "/dashboard/orders", "/dashboard/unserved", "/dashboard/runs"]
        paths += orderIDs.map { "/dashboard/orders?id=\($0)" }
        for path in paths {
            let page = try await DashboardTests.page(fixture.server, path, token: token)
            #expect(page.status == 200, "\(path)")
            let html = page.text
            for name in Self.hostile {
                #expect(!html.contains(name), "\(path) shows \(name) raw")
            }
            #expect(!html.contains("<script"), "\(path) has a script element")
            #expect(!html.contains("<svg onload") && !html.contains("onmouseover=\"alert"), "\(path) has an event handler")
            for svg in DashboardTests.svgs(html) {
                let parsed = try #require(DashboardTests.parse(svg), "\(path): SVG is not well-formed")
                #expect(!parsed.elements.contains("script"))
            }
        }
        // Where each name shows, it shows escaped: the heat map names the factories, the
        // tables the brokers and references, the order's chart its factories.
        let overview = try await DashboardTests.page(fixture.server, "/dashboard", token: token).text
        let orders = try await DashboardTests.page(fixture.server, "/dashboard/orders?id=\(orderIDs[1])", token: token).text
        let unserved = try await DashboardTests.page(fixture.server, "/dashboard/unserved", token: token).text
        for name in Self.hostile {
            #expect(overview.contains("<title>\(Self.escaped(name)) (CN-G"), "heat map row title for \(name)")
            #expect(unserved.contains("<td>\(Self.escaped(name))</td>"), "unserved: broker \(name)")
            #expect(unserved.contains(">\(Self.escaped(name))</a></td>"), "unserved: reference \(name)")
            #expect(orders.contains(">\(Self.escaped(name))</a></td>"), "recent orders: reference \(name)")
        }
        #expect(orders.contains("<h2>\(Self.escaped(Self.hostile[1])) · pcb.fab"))
        // Refused query text is echoed escaped on the error page too.
        let bad = try await DashboardTests.page(fixture.server, "/dashboard?region=%3Cscript%3E", token: token)
        #expect(bad.status == 422)
        #expect(!bad.text.contains("<script"))
        // The sign-in page echoes `next` into an attribute; only a safe dashboard path gets there.
        let form = try await DashboardTests.page(fixture.server, "/dashboard/login?next=%2Fdashboard%2F%22%3E%3Cscript%3E", token: nil)
        #expect(!form.text.contains("<script"))
        try await fixture.stop()
    }
}
