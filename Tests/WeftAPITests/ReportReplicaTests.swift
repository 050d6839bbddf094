import Foundation
import Logging
import Testing
import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// `WEFT_REPORTS_DATABASE_URL`: the reports and the dashboard's charts read through a second
/// pool. Here it is a second database holding other data than the main one, so every answer
/// shows which database it came from.
@Suite("Reports: a separate reports database (read replica)")
struct ReportReplicaTests {
    @Test func reportsAndChartsReadTheReportsDatabaseEverythingElseTheMainOne() async throws {
        var logger = Logger(label: "weft.test.api")
        logger.logLevel = .warning
        let (main, mainURL) = try await TestDatabase.migratedPool()
        let (replica, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { replica.close() }
        // The "replica" has the report fixture; the main database one other factory.
        _ = try await ReportFixture.seed(replica)
        _ = try await NetworkFixture.seed(main, [.init(name: "Primary Only Works", slots: [(1, 999, 3)])])
        let app = WeftApp(context: AppContext(
            pool: main, migrations: MigrationRunner(migrations: try MigrationRunner.bundled(), logger: logger),
            configuration: AppConfiguration(), logger: logger, reportsPool: replica))
        let server = try await TestServer.serve(app, databaseURL: mainURL, logger: logger)
        // Keys and dashboard sessions live in the main database only.
        let admin = try await server.issueKey(role: .admin)

        let utilization = try await ReportTests.get(server, "/v1/reports/utilization", key: admin)
        #expect(utilization.status == 200)
        let rows = try #require(utilization.json["rows"] as? [[String: Any]])
        #expect(rows.map { $0["factory_name"] as? String } == [ReportFixture.alpha, ReportFixture.beta, ReportFixture.gamma])
        #expect((utilization.json["totals"] as? [String: Any])?["capacity"] as? Int == 570)
        let csv = try await ReportTests.get(server, "/v1/reports/utilization", key: admin, csv: true)
        #expect(csv.text.contains(",Gamma,VN-SG,true,1,2,120,30,90,0.25,1,\r\n"))
        #expect(!csv.text.contains("Primary Only Works"))

        // The orders report's heavy read (allocation figures) runs on the reports pool too.
        let orders = try await ReportTests.get(server, "/v1/reports/orders", key: admin).json
        #expect((orders["by_status"] as? [[String: Any]])?.map { $0["orders"] as? Int } == [2, 1, 2, 1])
        #expect((orders["cost_by_capability"] as? [[String: Any]])?.map { $0["total_cost"] as? Int } == [4960, 350])

        // The dashboard signs in against the main database and draws from the replica.
        let (_, token) = try await DashboardTests.signIn(server, key: admin)
        let page = try await DashboardTests.page(server, "/dashboard", token: try #require(token))
        #expect(page.status == 200)
        #expect(page.text.contains("Gamma"))
        #expect(!page.text.contains("Primary Only Works"))
        let unserved = try await DashboardTests.page(server, "/dashboard/unserved", token: token)
        #expect(unserved.status == 200)
        #expect(unserved.text.contains("capacity full"))

        // The rest of the API is not redirected: factories come from the main database.
        let factories = try await server.client().send("GET", "/v1/factories", headers: ["Authorization": "Bearer \(admin)"])
        #expect(factories.status == 200)
        #expect(factories.text.contains("Primary Only Works"))
        #expect(!factories.text.contains("Gamma"))
        try await server.stop()
    }
}
