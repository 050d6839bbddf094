import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

@Suite("Dashboard: sign-in, sessions and SVG pages")
struct DashboardTests {
    /// Signs in with `key`; returns the response and the session token from its cookie.
    static func signIn(_ server: TestServer, key: String, next: String = "/dashboard") async throws -> (TestHTTPClient.Response, String?) {
        let body = "key=\(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        let response = try await server.client().send("POST", "/dashboard/login", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                      body: Array(body.utf8))
        let cookie = response.header("Set-Cookie")
        let token = cookie.flatMap { $0.split(separator: ";").first }.map { String($0.dropFirst("weft_session=".count)) }
        return (response, token)
    }

    static func page(_ server: TestServer, _ path: String, token: String?) async throws -> TestHTTPClient.Response {
        try await server.client().send("GET", path, headers: token.map { ["Cookie": "theme=dark; weft_session=\($0)"] } ?? [:])
    }

    /// Every `<svg …>…</svg>` element of a page.
    static func svgs(_ html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            result.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    /// Parses an SVG fragment as XML; returns its element names and all its text, or nil when
    /// it is not well-formed.
    static func parse(_ svg: String) -> (elements: [String], text: String)? {
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [String] = []
            var text = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                elements.append(name)
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        return parser.parse() ? (collector.elements, collector.text) : nil
    }

    struct ChartMissing: Error { var html: String }

    /// The page's first SVG, parsed; throws when there is none or it is not well-formed.
    static func chart(_ html: String) throws -> (elements: [String], text: String) {
        guard let svg = svgs(html).first, let parsed = parse(svg) else { throw ChartMissing(html: String(html.prefix(2000))) }
        return parsed
    }

    @Test func refusesBadKeysAndAcceptsAnAdminKey() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 10, 5)])])
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)

        // No session: the pages send the browser to the form, remembering where it was going.
        let anonymous = try await Self.page(server, "/dashboard/runs", token: nil)
        #expect(anonymous.status == 303)
        #expect(anonymous.header("Location") == "/dashboard/login?next=/dashboard/runs")
        let form = try await Self.page(server, "/dashboard/login", token: nil)
        #expect(form.status == 200)
        #expect(form.text.contains("<form method=\"post\" action=\"/dashboard/login\">"))
        #expect(form.text.contains("type=\"password\""))

        for (key, status) in [("wft_aaaaaaaaaa_bbbbbbbbbbbbbbbbbbbb", 401), ("not a key at all", 401), ("", 401), (broker, 403)] {
            let (response, token) = try await Self.signIn(server, key: key)
            #expect(response.status == status, "key \(key)")
            #expect(token == nil)
            #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(response.text.contains("class=\"error\""))
            #expect(response.text.contains("action=\"/dashboard/login\""))
        }
        #expect(try await server.pool.query("SELECT count(*) FROM dashboard_sessions")[0].decode(Int.self, 0) == 0)

        let (response, token) = try await Self.signIn(server, key: admin, next: "/dashboard/unserved")
        #expect(response.status == 303)
        #expect(response.header("Location") == "/dashboard/unserved")
        let cookie = try #require(response.header("Set-Cookie"))
        let attributes = Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(attributes == ["Path=/dashboard", "Max-Age=28800", "HttpOnly", "SameSite=Strict"])
        let secret = try #require(token)
        #expect(secret.count == 64)
        #expect(!secret.contains(admin))
        // Only the token's digest is stored, with an expiry 8 hours out.
        let stored = try await server.pool.query("SELECT token_hash, expires_at - created_at FROM dashboard_sessions")
        #expect(stored.count == 1)
        #expect(try stored[0].decode(Bytes.self, 0).bytes == sha256(Array(secret.utf8)))
        #expect(try stored[0].decode(String.self, 1) == "PT8H")

        let page = try await Self.page(server, "/dashboard", token: secret)
        #expect(page.status == 200)
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(page.header("Cache-Control") == "no-store")
        // Signed in, the form moves straight on; an outside `next` is ignored.
        #expect(try await Self.page(server, "/dashboard/login?next=/dashboard/runs", token: secret).header("Location") == "/dashboard/runs")
        let (_, other) = try await Self.signIn(server, key: admin, next: "https://evil.example/")
        #expect(other != nil)
        let (elsewhere, _) = try await Self.signIn(server, key: admin, next: "//evil.example/dashboard")
        #expect(elsewhere.header("Location") == "/dashboard")
        try await server.stop()
    }

    @Test func sessionsEndWithLogoutExpiryAndRevocation() async throws {
        let server = try await TestServer.start()
        let admin = try await server.issueKey(role: .admin)
        // A made-up or garbled cookie is no session.
        #expect(try await Self.page(server, "/dashboard", token: String(repeating: "a", count: 64)).status == 303)
        #expect(try await Self.page(server, "/dashboard", token: "<script>").status == 303)

        let (_, first) = try await Self.signIn(server, key: admin)
        let token = try #require(first)
        #expect(try await Self.page(server, "/dashboard/runs", token: token).status == 200)
        let logout = try await server.client().send("POST", "/dashboard/logout", headers: ["Cookie": "weft_session=\(token)"])
        #expect(logout.status == 303)
        #expect(logout.header("Location") == "/dashboard/login")
        #expect(logout.header("Set-Cookie")?.contains("Max-Age=0") == true)
        let after = try await Self.page(server, "/dashboard/runs", token: token)
        #expect(after.status == 303)
        #expect(after.header("Set-Cookie")?.contains("Max-Age=0") == true)

        let (_, second) = try await Self.signIn(server, key: admin)
        let expiring = try #require(second)
        try await server.pool.query("UPDATE dashboard_sessions SET created_at = now() - interval '9 hours', expires_at = now() - interval '1 hour'")
        #expect(try await Self.page(server, "/dashboard", token: expiring).status == 303)

        let (_, third) = try await Self.signIn(server, key: admin)
        let revoked = try #require(third)
        #expect(try await Self.page(server, "/dashboard", token: revoked).status == 200)
        try await server.pool.query("UPDATE api_keys SET revoked_at = now()")
        #expect(try await Self.page(server, "/dashboard", token: revoked).status == 303)
        try await server.stop()
    }

    @Test func pagesRenderWellFormedSVGWithTheFactoriesAndDays() async throws {
        let server = try await TestServer.start()
        let fixture = try await ReportFixture.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let token = try #require(try await Self.signIn(server, key: admin).1)
        let today = ReportFixture.today

        let overview = try await Self.page(server, "/dashboard", token: token)
        #expect(overview.status == 200)
        let heat = try #require(Self.svgs(overview.text).first)
        let parsed = try #require(Self.parse(heat), "heat map is not well-formed XML")
        // 7 slots → 7 cells (each a <use> of the one cell <rect>), and the legend's 7 swatches.
        #expect(parsed.elements.filter { $0 == "use" }.count == 7)
        #expect(parsed.elements.filter { $0 == "rect" }.count == 8)
        for name in [ReportFixture.alpha, ReportFixture.beta, ReportFixture.gamma] {
            #expect(parsed.text.contains(name), "heat map names \(name)")
        }
        #expect(parsed.text.contains("\(ReportFixture.gamma) · \(today.adding(days: 1).iso): 30 of 80 units (38 %)"))
        #expect(parsed.text.contains("\(ReportFixture.alpha) · \(today.adding(days: 2).iso): 40 of 100 units (40 %)"))
        #expect(parsed.text.contains(String(today.adding(days: 4).iso.dropFirst(5))), "axis labels the days")
        #expect(parsed.text.contains("Factory (by region)") && parsed.text.contains("Production day (UTC)") && parsed.text.contains("Utilisation"))

        let gantt = try await Self.page(server, "/dashboard/orders?id=\(fixture.orders["O1"]!.uuidString.lowercased())", token: token)
        #expect(gantt.status == 200)
        let plan = try Self.chart(gantt.text)
        #expect(plan.text.contains("\(ReportFixture.alpha) · \(today.adding(days: 1).iso): 100 units at 0.10 each, planned"))
        #expect(plan.text.contains("\(ReportFixture.beta) · \(today.adding(days: 1).iso): 50 units"))
        #expect(plan.text.contains("due \(today.adding(days: 5).iso.dropFirst(5))"))
        // Without an id the page picks a recent split order and still draws it.
        let chosen = try await Self.page(server, "/dashboard/orders", token: token)
        #expect(Self.svgs(chosen.text).count == 1)
        #expect(try await Self.page(server, "/dashboard/orders?id=\(UUID().uuidString.lowercased())", token: token).status == 404)

        let unserved = try await Self.page(server, "/dashboard/unserved", token: token)
        let bars = try Self.chart(unserved.text)
        #expect(bars.text.contains("capacity full") && bars.text.contains("no eligible slot") && bars.text.contains("not placed"))
        #expect(bars.elements.filter { $0 == "rect" }.count == 3)

        // No runs yet: an empty state, not an error; with runs, a chart.
        let noRuns = try await Self.page(server, "/dashboard/runs", token: token)
        #expect(noRuns.status == 200)
        #expect(noRuns.text.contains("No schedule runs yet"))
        #expect(Self.svgs(noRuns.text).isEmpty)
        for (before, after) in [(900, 700), (700, 650)] {
            try await server.pool.query("""
                INSERT INTO schedule_runs (status, time_limit_ms, seed, as_of, score_before, score_after, bound, moved, started_at, finished_at)
                VALUES ('succeeded', 1000, 1, current_date, $1, $2, '{"unserved": 600, "cost": 5000}', 3, now(), now())
                """, JSONB("{\"hard\": 0, \"unserved\": \(before), \"cost\": 9000}"), JSONB("{\"hard\": 0, \"unserved\": \(after), \"cost\": 8000}"))
        }
        let runs = try await Self.page(server, "/dashboard/runs", token: token)
        let history = try Self.chart(runs.text)
        #expect(history.elements.filter { $0 == "circle" }.count >= 8)
        #expect(history.text.contains("after 650") && history.text.contains("lower bound 600"))

        // A parameter the page does not know is refused on an HTML page.
        let bad = try await Self.page(server, "/dashboard?from=yesterday", token: token)
        #expect(bad.status == 422)
        #expect(bad.header("Content-Type")?.hasPrefix("text/html") == true)
        try await server.stop()
    }

    @Test func userTextIsEscapedEverywhere() async throws {
        let server = try await TestServer.start()
        let evil = "<script>alert(1)</script> & \"Co\""
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: evil, slots: [(1, 100, 5)])])
        try await server.pool.query("UPDATE brokers SET name = $1", evil)
        let order = try await server.pool.transaction { connection in
            let id = try connection.query("""
                INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units, reference, unscheduled_reason)
                VALUES ($1, 'pcb.fab', 80, $2, $3, 'partial', 40, $4, $4) RETURNING id
                """, network.brokerID, NetworkFixture.today.adding(days: 5), NetworkFixture.today, evil)[0].decode(UUID.self, 0)
            try connection.query("INSERT INTO allocations (order_id, slot_id, units, unit_cost) SELECT $1, id, 40, 5 FROM capacity_slots", id)
            return id
        }
        let admin = try await server.issueKey(role: .admin)
        let token = try #require(try await Self.signIn(server, key: admin).1)
        for path in ["/dashboard", "/dashboard/orders?id=\(order.uuidString.lowercased())", "/dashboard/orders", "/dashboard/unserved"] {
            let page = try await Self.page(server, path, token: token)
            #expect(page.status == 200, "\(path)")
            #expect(!page.text.contains("<script>"), "\(path) lets markup through")
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"), "\(path)")
            for svg in Self.svgs(page.text) {
                let parsed = try #require(Self.parse(svg), "\(path): SVG is not well-formed")
                #expect(parsed.elements.contains("script") == false)
            }
        }
        let heat = try Self.chart(try await Self.page(server, "/dashboard", token: token).text)
        #expect(heat.text.contains(evil))
        try await server.stop()
    }
}
