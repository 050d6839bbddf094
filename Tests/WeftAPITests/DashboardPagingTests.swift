import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// The heat map comes in pages of 100 factories (by region, then name) with links between
/// them and totals per region and page, so no page grows with the network.
@Suite("Dashboard: heat map pages")
struct DashboardPagingTests {
    /// 250 factories: 120 in AA-NORTH, 80 in BB-SOUTH, 50 in CC-EAST, each with 3 days of
    /// slots of 10 × (n % 7 + 1) units, 4 units allocated on the first day of every fifth.
    static func seed(_ pool: PostgresPool) async throws {
        let today = NetworkFixture.today
        try await pool.transaction { connection in
            try connection.query("""
                INSERT INTO factories (name, region, lead_days)
                SELECT 'Plant ' || lpad(g::text, 3, '0'), CASE WHEN g <= 120 THEN 'AA-NORTH' WHEN g <= 200 THEN 'BB-SOUTH' ELSE 'CC-EAST' END, 0
                FROM generate_series(1, 250) g
                """)
            try connection.query("INSERT INTO factory_capabilities (factory_id, capability, setup_cost) SELECT id, 'pcb.fab', 0 FROM factories")
            try connection.query("""
                INSERT INTO capacity_slots (factory_id, capability, day, units, unit_cost)
                SELECT f.id, 'pcb.fab', $1::date + d, 10 * (substr(f.name, 7)::int % 7 + 1), 5 FROM factories f, generate_series(0, 2) d
                """, today)
            let broker = try connection.query("INSERT INTO brokers (name) VALUES ('B') RETURNING id")[0].decode(UUID.self, 0)
            let order = try connection.query("""
                INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units)
                VALUES ($1, 'pcb.fab', 1000, $2, $3, 'partial', 0) RETURNING id
                """, broker, today.adding(days: 5), today)[0].decode(UUID.self, 0)
            try connection.query("""
                INSERT INTO allocations (order_id, slot_id, units, unit_cost)
                SELECT $1, s.id, 4, 5 FROM capacity_slots s JOIN factories f ON f.id = s.factory_id
                WHERE s.day = $2 AND substr(f.name, 7)::int % 5 = 0
                """, order, today)
        }
    }

    /// The factory names of a page's heat map rows (from the row labels' titles, "Plant 001 (AA-NORTH)").
    static func rows(_ html: String) throws -> [String] {
        let svg = try #require(DashboardTests.svgs(html).first)
        return svg.components(separatedBy: "<title>Plant ").dropFirst().compactMap { part in
            let number = part.prefix(3)
            return part.dropFirst(3).hasPrefix(" (") ? "Plant \(number)" : nil
        }
    }

    @Test func pagesOfAHundredFactoriesWithLinksAndTotals() async throws {
        let server = try await TestServer.start()
        try await Self.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let token = try #require(try await DashboardTests.signIn(server, key: admin).1)
        let today = NetworkFixture.today
        let range = "from=\(today.iso)&amp;to=\(today.adding(days: 29).iso)"

        var seen: [String] = []
        for page in 1...3 {
            let response = try await DashboardTests.page(server, page == 1 ? "/dashboard" : "/dashboard?page=\(page)", token: token)
            #expect(response.status == 200)
            let html = response.text
            let parsed = try DashboardTests.chart(html)
            // Each factory row: its label, and one cell per day.
            let names = Set(try Self.rows(html))
            #expect(names.count == (page < 3 ? 100 : 50), "page \(page)")
            #expect(parsed.elements.filter { $0 == "use" }.count == names.count * 3, "page \(page): 3 cells per factory")
            seen += names
            #expect(html.contains("Factories \((page - 1) * 100 + 1)–\(min(page * 100, 250)) of 250, page \(page) of 3"))
            // Links to every page, the current one marked, previous and next where they exist.
            for other in 1...3 {
                let href = "/dashboard?\(range)\(other > 1 ? "&amp;page=\(other)" : "")"
                #expect(html.contains("<a href=\"\(href)\"\(other == page ? " class=\"current\" aria-current=\"page\"" : "")"), "page \(page) links to \(other)")
            }
            #expect(html.contains("rel=\"prev\"") == (page > 1))
            #expect(html.contains("rel=\"next\"") == (page < 3))
            // Totals per region (linked to the page it starts on) and for this page.
            #expect(html.contains("<a href=\"/dashboard?\(range)\">AA-NORTH</a></td><td class=\"num\">120</td>"))
            #expect(html.contains("<a href=\"/dashboard?\(range)&amp;page=2\">BB-SOUTH</a></td><td class=\"num\">80</td>"))
            #expect(html.contains("<a href=\"/dashboard?\(range)&amp;page=3\">CC-EAST</a></td><td class=\"num\">50</td>"))
            let pageFactories = try await server.pool.query("""
                SELECT count(DISTINCT f.id), sum(s.units), sum(s.allocated) FROM factories f JOIN capacity_slots s ON s.factory_id = f.id
                WHERE f.id IN (SELECT id FROM factories ORDER BY region, name, id OFFSET $1 LIMIT 100)
                """, (page - 1) * 100)[0]
            let capacity = try pageFactories.decode(Int64.self, 1), allocated = try pageFactories.decode(Int64.self, 2)
            #expect(html.contains("<tr class=\"page-total\"><th>This page</th><th class=\"num\">\(try pageFactories.decode(Int.self, 0))</th><th class=\"num\">\(grouped(capacity))</th><th class=\"num\">\(grouped(allocated))</th>"),
                    "page \(page) totals")
        }
        // Every factory is on exactly one page, in region-then-name order.
        let all = try await server.pool.query("SELECT name FROM factories ORDER BY region, name, id").map { try $0.decode(String.self, 0) }
        #expect(seen.count == 250)
        #expect(Set(seen) == Set(all))
        let regionTotals = try await server.pool.query("SELECT region, sum(units), sum(allocated) FROM capacity_slots s JOIN factories f ON f.id = s.factory_id GROUP BY region ORDER BY region")
        let first = try await DashboardTests.page(server, "/dashboard", token: token).text
        for row in regionTotals {
            let region = try row.decode(String.self, 0)
            #expect(first.contains(">\(region)</a></td><td class=\"num\">\(region == "AA-NORTH" ? 120 : region == "BB-SOUTH" ? 80 : 50)</td><td class=\"num\">\(grouped(try row.decode(Int64.self, 1)))</td><td class=\"num\">\(grouped(try row.decode(Int64.self, 2)))</td>"),
                    "totals of \(region)")
        }

        // Past the last page: an HTML 404 naming the page count; page 0 is refused.
        let past = try await DashboardTests.page(server, "/dashboard?page=4", token: token)
        #expect(past.status == 404)
        #expect(past.text.contains("these filters give 3 pages"))
        #expect(try await DashboardTests.page(server, "/dashboard?page=0", token: token).status == 422)

        // Filters narrow the pages and the links keep them: one region of 80 is one page.
        let south = try await DashboardTests.page(server, "/dashboard?region=BB-SOUTH", token: token)
        #expect(south.status == 200)
        #expect(Set(try Self.rows(south.text)).count == 80)
        #expect(!south.text.contains("aria-label=\"Heat map pages\""))
        let north = try await DashboardTests.page(server, "/dashboard?region=AA-NORTH&page=2", token: token)
        #expect(Set(try Self.rows(north.text)).count == 20)
        #expect(north.text.contains("<a rel=\"prev\" href=\"/dashboard?\(range)&amp;region=AA-NORTH\">"))
        try await server.stop()
    }
}
