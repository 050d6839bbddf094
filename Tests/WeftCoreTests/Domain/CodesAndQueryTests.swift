import Testing
@testable import WeftCore

@Suite("Codes, ids and query parameters")
struct CodesAndQueryTests {
    typealias M = DomainMessages

    @Test(arguments: ["a", "pcb.fab", "cnc.milling", "injection.molding", "a1.2b", "weaving", "x.y.z.0",
                      "a" + String(repeating: "b", count: 63)])
    func validCapabilities(_ code: String) {
        #expect(Capability(code)?.code == code)
    }

    @Test(arguments: ["", "1abc", "Pcb", "pcb.", ".pcb", "pcb..fab", "pcb-fab", "pcb_fab", "pcb fab", "café",
                      "a" + String(repeating: "b", count: 64)])
    func invalidCapabilities(_ code: String) {
        #expect(Capability(code) == nil)
    }

    @Test(arguments: ["CN-GD", "DE", "US-CA", "EU-WEST-2", "1", String(repeating: "A", count: 32)])
    func validRegions(_ code: String) { #expect(CodeRule.region.isValid(code)) }

    @Test(arguments: ["", "cn-gd", "CN_GD", "-CN", "CN-", "CN--GD", "CN GD", "ÄB", String(repeating: "A", count: 33)])
    func invalidRegions(_ code: String) { #expect(!CodeRule.region.isValid(code)) }

    @Test(arguments: ["ISO9001", "IATF-16949", "a.b_c-d", "x", String(repeating: "Z", count: 64)])
    func validCertifications(_ code: String) { #expect(CodeRule.certification.isValid(code)) }

    @Test(arguments: ["", "ISO 9001", "ISO/9001", "ISO9001!", String(repeating: "Z", count: 65)])
    func invalidCertifications(_ code: String) { #expect(!CodeRule.certification.isValid(code)) }

    @Test func uuids() {
        #expect(EntityID("123e4567-e89b-12d3-a456-426614174000")?.text == "123e4567-e89b-12d3-a456-426614174000")
        #expect(EntityID("123E4567-E89B-12D3-A456-426614174000")?.text == "123e4567-e89b-12d3-a456-426614174000")
        for bad in ["not-a-uuid", "", "123e4567e89b12d3a456426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
                    "123e4567-e89b-12d3-a456-42661417400g", "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a4564-26614174000",
                    "123e4567-e89b-12d3-a456-4266141740000"] {
            #expect(!EntityID.isValid(bad), "\(bad)")
        }
    }

    @Test func suggestionsAreOnlyForPlausibleTypos() {
        let known = ["capability", "quantity", "due_date", "min_lot", "priority", "lat", "lon"]
        #expect(closestName(to: "due_dat", among: known) == "due_date")
        #expect(closestName(to: "dueDate", among: known) == "due_date")
        #expect(closestName(to: "quantiy", among: known) == "quantity")
        #expect(closestName(to: "QUANTITY", among: known) == "quantity")
        #expect(closestName(to: "lot", among: known) == "lat")
        #expect(closestName(to: "colour", among: known) == nil)
        #expect(closestName(to: "x", among: known) == nil)
        #expect(closestName(to: "anything", among: []) == nil)
        #expect(osaEditDistance(Array("abc".utf8), Array("acb".utf8)) == 1)
        #expect(osaEditDistance(Array("".utf8), Array("abc".utf8)) == 3)
    }

    // MARK: - Query parameters

    static let orderStatuses = ["scheduled", "partial", "unscheduled", "cancelled"]

    @Test func listQueryDefaultsAndValues() throws {
        var query = QueryReader(rawQuery: "limit=20&from=2025-03-01&to=2025-03-01&status=partial,scheduled&status=partial&cursor=abc%3D&capability=")
        #expect(query.limit() == 20)
        let range = query.dateRange()
        #expect(range.from == Day(iso: "2025-03-01") && range.to == Day(iso: "2025-03-01"))
        #expect(query.values("status", allowed: Self.orderStatuses) == ["partial", "scheduled"])
        #expect(query.cursor() == "abc=")
        #expect(query.capability("capability") == nil)
        query.finish()
        try query.validate()

        var empty = QueryReader(rawQuery: "")
        #expect(empty.limit() == 50)
        #expect(empty.dateRange().from == nil)
        #expect(empty.values("status", allowed: Self.orderStatuses) == [])
        #expect(empty.bool("displace") == nil)
        #expect(empty.issues.isEmpty)
    }

    @Test func queryDecoding() {
        var query = QueryReader(rawQuery: "region=CN-GD&reference=PO+7%2F81&active=true&displace=false")
        #expect(query.code("region", rule: .region) == "CN-GD")
        #expect(query.text("reference") == "PO 7/81")
        #expect(query.bool("active") == true)
        #expect(query.bool("displace") == false)
        #expect(query.issues.isEmpty)
        var items = QueryReader([.init(name: "limit", value: "7")])
        #expect(items.limit() == 7)
        var pairs = QueryReader(pairs: [(name: "status", value: "partial"), (name: "dry_run", value: "")])
        #expect(pairs.values("status", allowed: Self.orderStatuses) == ["partial"])
        #expect(pairs.bool("dry_run") == nil)
        pairs.finish()
        #expect(pairs.issues.isEmpty)
    }

    struct QueryRow: Sendable, CustomTestStringConvertible {
        var query: String
        var field: String
        var message: String
        var testDescription: String { query }
    }

    @Test(arguments: [
        QueryRow(query: "limit=0", field: "limit", message: "must be a whole number between 1 and 500"),
        QueryRow(query: "limit=501", field: "limit", message: "must be a whole number between 1 and 500"),
        QueryRow(query: "limit=ten", field: "limit", message: "must be a whole number between 1 and 500"),
        QueryRow(query: "limit=1.5", field: "limit", message: "must be a whole number between 1 and 500"),
        QueryRow(query: "limit=5&limit=6", field: "limit", message: "must be given only once"),
        QueryRow(query: "from=2025-02-30", field: "from", message: M.day),
        QueryRow(query: "to=yesterday", field: "to", message: M.day),
        QueryRow(query: "from=2025-03-02&to=2025-03-01", field: "to", message: "must be on or after from (2025-03-02)"),
        QueryRow(query: "status=done", field: "status",
                 message: "must be one of: scheduled, partial, unscheduled, cancelled (separate several with commas)"),
        QueryRow(query: "status=partial,bogus", field: "status",
                 message: "must be one of: scheduled, partial, unscheduled, cancelled (separate several with commas)"),
        QueryRow(query: "capability=CNC", field: "capability", message: M.capability),
        QueryRow(query: "region=cn", field: "region", message: M.region),
        QueryRow(query: "active=yes", field: "active", message: M.bool),
        QueryRow(query: "factory_id=abc", field: "factory_id", message: M.id),
        QueryRow(query: "cursor=" + String(repeating: "c", count: 1_025), field: "cursor",
                 message: "must be a cursor returned as next_cursor by the previous page"),
        QueryRow(query: "limt=5", field: "limt", message: "unknown parameter; did you mean 'limit'?"),
        QueryRow(query: "sort=asc", field: "sort", message: "unknown parameter"),
        QueryRow(query: "reference=%zz", field: "reference", message: "is not valid percent-encoded UTF-8"),
        QueryRow(query: "reference=%FF", field: "reference", message: "is not valid percent-encoded UTF-8"),
    ])
    func queryRules(_ row: QueryRow) {
        var query = QueryReader(rawQuery: row.query)
        _ = query.limit()
        _ = query.dateRange()
        _ = query.values("status", allowed: Self.orderStatuses)
        _ = query.capability("capability")
        _ = query.code("region", rule: .region)
        _ = query.bool("active")
        _ = query.id("factory_id")
        _ = query.cursor()
        _ = query.text("reference")
        query.finish()
        #expect(query.issues == [FieldIssue(field: row.field, message: row.message)])
        #expect(throws: ValidationFailure(field: row.field, message: row.message)) { try query.validate() }
    }
}
