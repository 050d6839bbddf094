import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

@Suite("Reports: utilisation and orders, JSON and CSV")
struct ReportTests {
    static func get(_ server: TestServer, _ path: String, key: String, csv: Bool = false) async throws -> TestHTTPClient.Response {
        var headers = ["Authorization": "Bearer \(key)"]
        if csv { headers["Accept"] = "text/csv" }
        return try await server.client().send("GET", path, headers: headers)
    }

    @Test func utilizationByFactoryMatchesHandFigures() async throws {
        let server = try await TestServer.start()
        let fixture = try await ReportFixture.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let response = try await Self.get(server, "/v1/reports/utilization", key: admin)
        #expect(response.status == 200)
        let body = response.json
        #expect(body["group_by"] as? String == "factory")
        #expect(body["from"] as? String == ReportFixture.today.iso)
        #expect(body["to"] as? String == ReportFixture.today.adding(days: 29).iso)
        let totals = try #require(body["totals"] as? [String: Any])
        // 3 factories, 7 slots, 250 + 200 + 120 units, 140 + 70 + 30 allocated.
        #expect(totals["factories"] as? Int == 3)
        #expect(totals["slots"] as? Int == 7)
        #expect(totals["capacity"] as? Int == 570)
        #expect(totals["allocated"] as? Int == 240)
        #expect(totals["free"] as? Int == 330)
        #expect(totals["utilization"] as? Double == 0.4211)
        let rows = try #require(body["rows"] as? [[String: Any]])
        // Region, then name: CN-GD Alpha; VN-SG Beta, Gamma.
        #expect(rows.map { $0["factory_name"] as? String } == [ReportFixture.alpha, ReportFixture.beta, ReportFixture.gamma])
        #expect(rows.map { $0["capacity"] as? Int } == [250, 200, 120])
        #expect(rows.map { $0["allocated"] as? Int } == [140, 70, 30])
        #expect(rows.map { $0["slots"] as? Int } == [3, 2, 2])
        #expect(rows.map { $0["utilization"] as? Double } == [0.56, 0.35, 0.25])
        #expect(rows[0]["factory_id"] as? String == fixture.network.factoryIDs[ReportFixture.alpha]!.uuidString.lowercased())
        #expect(rows[1]["region"] as? String == "VN-SG")

        // Filters: one region and one capability leave Beta alone.
        let filtered = try await Self.get(server, "/v1/reports/utilization?region=VN-SG&capability=pcb.fab", key: admin).json
        #expect((filtered["rows"] as? [[String: Any]])?.map { $0["factory_name"] as? String } == [ReportFixture.beta])
        #expect((filtered["totals"] as? [String: Any])?["capacity"] as? Int == 200)
        #expect((filtered["totals"] as? [String: Any])?["allocated"] as? Int == 70)
        try await server.stop()
    }

    @Test func utilizationByCapabilityAndDay() async throws {
        let server = try await TestServer.start()
        _ = try await ReportFixture.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let byCapability = try await Self.get(server, "/v1/reports/utilization?group_by=capability", key: admin).json
        let capabilities = try #require(byCapability["rows"] as? [[String: Any]])
        #expect(capabilities.map { $0["capability"] as? String } == ["pcb.fab", "sewing"])
        #expect(capabilities.map { $0["factories"] as? Int } == [2, 1])
        #expect(capabilities.map { $0["capacity"] as? Int } == [450, 120])
        #expect(capabilities.map { $0["allocated"] as? Int } == [210, 30])
        #expect(capabilities.map { $0["utilization"] as? Double } == [0.4667, 0.25])

        let today = ReportFixture.today
        let byDay = try await Self.get(server, "/v1/reports/utilization?group_by=day&from=\(today.iso)&to=\(today.adding(days: 5).iso)", key: admin).json
        let days = try #require(byDay["rows"] as? [[String: Any]])
        // Every day appears; T+4 has no slots at all, so its utilisation is null.
        #expect(days.map { $0["date"] as? String } == (0...5).map { today.adding(days: $0).iso })
        #expect(days.map { $0["capacity"] as? Int } == [0, 380, 100, 50, 0, 40])
        #expect(days.map { $0["allocated"] as? Int } == [0, 200, 40, 0, 0, 0])
        #expect(days.map { $0["factories"] as? Int } == [0, 3, 2, 1, 0, 1])
        #expect(days[1]["utilization"] as? Double == 0.5263)
        #expect(days[4]["utilization"] is NSNull)
        try await server.stop()
    }

    @Test func ordersReportMatchesHandFigures() async throws {
        let server = try await TestServer.start()
        _ = try await ReportFixture.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let response = try await Self.get(server, "/v1/reports/orders", key: admin)
        #expect(response.status == 200)
        let body = response.json
        let statuses = try #require(body["by_status"] as? [[String: Any]])
        #expect(statuses.map { $0["status"] as? String } == ["scheduled", "partial", "unscheduled", "cancelled"])
        #expect(statuses.map { $0["orders"] as? Int } == [2, 1, 2, 1])
        #expect(statuses.map { $0["quantity"] as? Int } == [180, 100, 32, 10])
        #expect(statuses.map { $0["allocated_units"] as? Int } == [180, 60, 0, 0])
        let units = try #require(body["units"] as? [String: Any])
        #expect(units["ordered"] as? Int == 312)
        #expect(units["served"] as? Int == 240)
        #expect(units["unserved"] as? Int == 72)
        let reasons = try #require(body["unserved_by_reason"] as? [[String: Any]])
        #expect(reasons.map { $0["reason"] as? String } == ["capacity_full", "no_eligible_slot", "not_placed"])
        #expect(reasons.map { $0["units"] as? Int } == [40, 25, 7])
        #expect(reasons.map { $0["orders"] as? Int } == [1, 1, 1])
        let splits = try #require(body["factories_per_order"] as? [[String: Any]])
        #expect(splits.map { $0["factories"] as? Int } == [0, 1, 2])
        #expect(splits.map { $0["orders"] as? Int } == [2, 1, 2])
        let costs = try #require(body["cost_by_capability"] as? [[String: Any]])
        #expect(costs.map { $0["capability"] as? String } == ["pcb.fab", "sewing"])
        // pcb.fab: 100×10 + 50×8 + 40×10 + 20×8 = 1960; setup (1000 + 500) for each of two orders.
        #expect(costs.map { $0["units"] as? Int } == [210, 30])
        #expect(costs.map { $0["orders"] as? Int } == [2, 1])
        #expect(costs.map { $0["unit_cost_total"] as? Int } == [1960, 150])
        #expect(costs.map { $0["setup_cost_total"] as? Int } == [3000, 200])
        #expect(costs.map { $0["total_cost"] as? Int } == [4960, 350])
        #expect(costs.map { $0["average_unit_cost"] as? Int } == [9, 5])          // 9.33, 5
        #expect(costs.map { $0["average_cost_per_unit"] as? Int } == [24, 12])    // 23.62, 11.67
        let onTime = try #require(body["on_time"] as? [String: Any])
        // O1 arrives in full by its due date; O3 is fully planned but arrives a day late; O2,
        // O4 and O6 are short.
        #expect(onTime["orders"] as? Int == 5)
        #expect(onTime["orders_on_time"] as? Int == 1)
        #expect(onTime["orders_late"] as? Int == 1)
        #expect(onTime["orders_short"] as? Int == 3)
        #expect(onTime["share"] as? Double == 0.2)

        let sewing = try await Self.get(server, "/v1/reports/orders?capability=sewing", key: admin).json
        #expect((sewing["units"] as? [String: Any])?["ordered"] as? Int == 55)
        #expect((sewing["cost_by_capability"] as? [[String: Any]])?.map { $0["capability"] as? String } == ["sewing"])
        try await server.stop()
    }

    @Test func csvCarriesTheSameFiguresWithRFC4180Quoting() async throws {
        let server = try await TestServer.start()
        let fixture = try await ReportFixture.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let response = try await Self.get(server, "/v1/reports/utilization", key: admin, csv: true)
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(response.header("Content-Disposition")?.contains("attachment") == true)
        let text = response.text
        #expect(text.hasPrefix("factory_id,factory_name,region,active,factories,slots,capacity,allocated,free,utilization,batches,mean_fill\r\n"))
        #expect(text.hasSuffix("\r\n"))
        // Comma and quotes: quoted, quotes doubled. Newline and non-ASCII: quoted, UTF-8 kept.
        #expect(text.contains(",\"Alpha, \"\"Quoted\"\" Ltd\",CN-GD,true,1,3,250,140,110,0.56,2,\r\n"))
        #expect(text.contains(",\"Beta\nNewline Ünïcødé 工厂\",VN-SG,true,1,2,200,70,130,0.35,2,\r\n"))
        #expect(text.contains(",Gamma,VN-SG,true,1,2,120,30,90,0.25,1,\r\n"))
        let rows = parseCSV(text)
        #expect(rows.count == 4)
        #expect(rows.allSatisfy { $0.count == 12 })
        #expect(rows.dropFirst().map { $0[1] } == [ReportFixture.alpha, ReportFixture.beta, ReportFixture.gamma])
        #expect(rows[1][0] == fixture.network.factoryIDs[ReportFixture.alpha]!.uuidString.lowercased())

        let days = parseCSV(try await Self.get(server, "/v1/reports/utilization?group_by=day&to=\(ReportFixture.today.adding(days: 4).iso)", key: admin, csv: true).text)
        #expect(days[0] == ["date", "factories", "slots", "capacity", "allocated", "free", "utilization", "batches", "mean_fill"])
        #expect(days[2] == [ReportFixture.today.adding(days: 1).iso, "3", "3", "380", "200", "180", "0.5263", "4", ""])
        #expect(days[5] == [ReportFixture.today.adding(days: 4).iso, "0", "0", "0", "0", "0", "", "0", ""])

        let orders = parseCSV(try await Self.get(server, "/v1/reports/orders", key: admin, csv: true).text)
        #expect(orders[0] == ["section", "key", "metric", "value"])
        func value(_ section: String, _ key: String, _ metric: String) -> String? {
            orders.first { $0[0] == section && $0[1] == key && $0[2] == metric }?[3]
        }
        #expect(value("status", "partial", "allocated_units") == "60")
        #expect(value("units", "", "unserved") == "72")
        #expect(value("unserved_reason", "capacity_full", "units") == "40")
        #expect(value("unserved_reason", "no_eligible_slot", "description")?.contains("(capability, region") == true)
        #expect(value("factories_per_order", "2", "orders") == "2")
        #expect(value("cost", "pcb.fab", "total_cost") == "4960")
        #expect(value("cost", "sewing", "average_cost_per_unit") == "12")
        #expect(value("on_time", "", "share") == "0.2")
        #expect(value("on_time", "", "orders_late") == "1")
        #expect(orders.allSatisfy { $0.count == 4 })
        try await server.stop()
    }

    @Test func csvQuotingOfAwkwardFields() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVWriter.field("cr\rhere") == "\"cr\rhere\"")
        #expect(CSVWriter.field("crlf\r\nhere") == "\"crlf\r\nhere\"")
        #expect(CSVWriter.field("Łódź 工厂 ☃") == "Łódź 工厂 ☃")
        #expect(CSVWriter.field("") == "")
        #expect(CSVWriter.field(" padded ") == " padded ")
    }

    @Test func negotiationRefusalsAndRoles() async throws {
        let server = try await TestServer.start()
        _ = try await ReportFixture.seed(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: try await server.pool.query("SELECT id FROM brokers")[0].decode(UUID.self, 0))
        let client = try server.client()
        for (accept, csv) in [("text/csv;q=0.5, application/json", false), ("application/json;q=0.2, text/csv", true),
                              ("*/*", false), ("text/csv, */*;q=0.1", true), ("text/html", false)] {
            let response = try await client.send("GET", "/v1/reports/orders", headers: ["Authorization": "Bearer \(admin)", "Accept": accept])
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix(csv ? "text/csv" : "application/json") == true, "Accept: \(accept)")
        }
        #expect(try await Self.get(server, "/v1/reports/orders", key: broker).status == 403)
        #expect(try await Self.get(server, "/v1/reports/utilization", key: broker).status == 403)
        #expect(try await client.send("GET", "/v1/reports/orders").status == 401)
        let bad = try await Self.get(server, "/v1/reports/utilization?group_by=week&from=2026-02-30&colour=red", key: admin)
        #expect(bad.status == 422)
        let fields = Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        #expect(fields == ["group_by", "from", "colour"])
        let long = try await Self.get(server, "/v1/reports/utilization?from=2026-01-01&to=2027-06-01", key: admin)
        #expect(long.status == 422)
        #expect((long.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "to")
        #expect(try await Self.get(server, "/v1/reports/orders?due_from=2026-05-02&due_to=2026-05-01", key: admin).status == 422)
        // The default end stops at the calendar's last day; empty values are the same as none.
        let last = try await Self.get(server, "/v1/reports/utilization?from=9999-12-20&to=&group_by=day&region=", key: admin)
        #expect(last.status == 200)
        #expect(last.json["to"] as? String == "9999-12-31")
        #expect((last.json["rows"] as? [[String: Any]])?.count == 12)
        #expect(try await Self.get(server, "/v1/reports/orders?broker_id=nope", key: admin).status == 422)
        try await server.stop()
    }
}
