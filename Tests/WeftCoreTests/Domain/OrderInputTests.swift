import Testing
@testable import WeftCore

@Suite("Order inputs")
struct OrderInputTests {
    typealias F = DomainFixtures
    typealias M = DomainMessages

    static let base: KeyValuePairs<String, String> = [
        "capability": #""cnc.milling""#,
        "quantity": "100",
        "due_date": #""2025-03-10""#,
    ]

    static func body(set: [String: String] = [:], remove: Set<String> = []) -> String {
        F.object(base, set: set, remove: remove)
    }

    @Test func minimalOrderGetsDefaults() throws {
        let order = try F.parse(OrderInput.self, Self.body())
        #expect(order == OrderInput(capability: Capability("cnc.milling")!, quantity: 100, dueDate: Day(iso: "2025-03-10")!))
        #expect(order.minLot == 1 && order.maxFactories == 8 && order.priority == 3)
        #expect(order.releaseDate == nil && order.maxUnitCost == nil && order.reference == nil && order.brokerID == nil)
        #expect(order.regions.isEmpty && order.certifications.isEmpty)
    }

    @Test func fullOrder() throws {
        let order = try F.parse(OrderInput.self, Self.body(set: [
            "release_date": #""2025-03-10""#, "max_unit_cost": "1200", "regions": #"["CN-GD","VN"]"#,
            "certifications": #"["ISO9001"]"#, "min_lot": "100", "max_factories": "64", "priority": "5",
            "reference": #""PO-7781""#, "broker_id": "\"\(F.uuid.uppercased())\"",
        ]))
        #expect(order == OrderInput(
            capability: Capability("cnc.milling")!, quantity: 100, dueDate: Day(iso: "2025-03-10")!,
            releaseDate: Day(iso: "2025-03-10")!, maxUnitCost: 1200, regions: ["CN-GD", "VN"], certifications: ["ISO9001"],
            minLot: 100, maxFactories: 64, priority: 5, reference: "PO-7781", brokerID: EntityID(F.uuid)))
        #expect(order.brokerID?.text == F.uuid)
    }

    @Test func nullAndEmptyOptionalsMeanAbsent() throws {
        let order = try F.parse(OrderInput.self, Self.body(set: ["max_unit_cost": "null", "regions": "null", "reference": #""""#]))
        #expect(order.maxUnitCost == nil && order.regions.isEmpty && order.reference == nil)
    }

    @Test(arguments: [
        DomainIssueCase(remove: ["capability"], field: "capability", message: M.required),
        DomainIssueCase(set: ["capability": #""CNC""#], field: "capability", message: M.capability),
        DomainIssueCase(set: ["capability": #""1cnc""#], field: "capability", message: M.capability),
        DomainIssueCase(set: ["capability": #""cnc.""#], field: "capability", message: M.capability),
        DomainIssueCase(set: ["capability": "[\"cnc\"]"], field: "capability", message: M.capability),
        DomainIssueCase(remove: ["quantity"], field: "quantity", message: M.required),
        DomainIssueCase(set: ["quantity": "null"], field: "quantity", message: M.required),
        DomainIssueCase(set: ["quantity": "0"], field: "quantity", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["quantity": "1000001"], field: "quantity", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["quantity": "1.5"], field: "quantity", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["quantity": "1e7"], field: "quantity", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["quantity": "15e-1"], field: "quantity", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["quantity": #""100""#], field: "quantity", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["quantity": "100000000000000000000000000"], field: "quantity",
                        message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(remove: ["due_date"], field: "due_date", message: M.required),
        DomainIssueCase(set: ["due_date": #""2025-02-29""#], field: "due_date", message: M.day),
        DomainIssueCase(set: ["due_date": #""2025-13-01""#], field: "due_date", message: M.day),
        DomainIssueCase(set: ["due_date": "20250310"], field: "due_date", message: M.day),
        DomainIssueCase(set: ["release_date": #""tomorrow""#], field: "release_date", message: M.day),
        DomainIssueCase(set: ["release_date": #""2025-03-11""#], field: "release_date", message: "must be on or before due_date (2025-03-10)"),
        DomainIssueCase(set: ["max_unit_cost": "-1"], field: "max_unit_cost", message: M.money),
        DomainIssueCase(set: ["max_unit_cost": "12.5"], field: "max_unit_cost", message: M.money),
        DomainIssueCase(set: ["regions": #""CN-GD""#], field: "regions", message: "must be an array"),
        DomainIssueCase(set: ["regions": #"["CN-GD","cn-zj"]"#], field: "regions[1]", message: M.region),
        DomainIssueCase(set: ["regions": #"["VN","CN-GD","VN"]"#], field: "regions[2]", message: "repeats 'VN', already given at regions[0]"),
        DomainIssueCase(set: ["regions": F.codes("R", count: 33)], field: "regions", message: "must have at most 32 entries"),
        DomainIssueCase(set: ["certifications": F.codes("C", count: 33)], field: "certifications", message: "must have at most 32 entries"),
        DomainIssueCase(set: ["certifications": #"[""]"#], field: "certifications[0]", message: M.certification),
        DomainIssueCase(set: ["certifications": #"["ISO9001","ISO9001"]"#], field: "certifications[1]",
                        message: "repeats 'ISO9001', already given at certifications[0]"),
        DomainIssueCase(set: ["min_lot": "0"], field: "min_lot", message: "must be a whole number between 1 and 1000000"),
        DomainIssueCase(set: ["min_lot": "101"], field: "min_lot", message: "must not be greater than quantity (100)"),
        DomainIssueCase(set: ["max_factories": "0"], field: "max_factories", message: "must be a whole number between 1 and 64"),
        DomainIssueCase(set: ["max_factories": "65"], field: "max_factories", message: "must be a whole number between 1 and 64"),
        DomainIssueCase(set: ["priority": "0"], field: "priority", message: "must be a whole number between 1 and 5"),
        DomainIssueCase(set: ["priority": "6"], field: "priority", message: "must be a whole number between 1 and 5"),
        DomainIssueCase(set: ["reference": "\"\(String(repeating: "r", count: 201))\""], field: "reference", message: M.tooLong200),
        DomainIssueCase(set: ["reference": "7"], field: "reference", message: "must be a string"),
        DomainIssueCase(set: ["broker_id": #""broker-1""#], field: "broker_id", message: M.id),
    ])
    func refusesEachBadField(_ row: DomainIssueCase) {
        #expect(F.issues(OrderInput.self, Self.body(set: row.set, remove: row.remove)) == [FieldIssue(field: row.field, message: row.message)])
    }

    @Test func threeBadFieldsGiveThreeIssues() {
        let issues = F.issues(OrderInput.self, Self.body(set: ["quantity": "0", "due_date": #""2025-02-30""#, "priority": "9"]))
        #expect(issues == [
            FieldIssue(field: "quantity", message: "must be a whole number between 1 and 1000000"),
            FieldIssue(field: "due_date", message: M.day),
            FieldIssue(field: "priority", message: "must be a whole number between 1 and 5"),
        ])
    }

    @Test func misspelledFieldIsNotSilentlyIgnored() {
        // Suggestions only name fields that are missing: a field that is present was not mistyped.
        #expect(F.issues(OrderInput.self, Self.body(set: ["Quantity": "5"]))
            == [FieldIssue(field: "Quantity", message: "unknown field")])
        let issues = F.issues(OrderInput.self, Self.body(set: ["due_dat": #""2025-03-10""#], remove: ["due_date"]))
        #expect(issues == [
            FieldIssue(field: "due_date", message: M.required),
            FieldIssue(field: "due_dat", message: "unknown field; did you mean 'due_date'?"),
        ])
        let swapped = F.issues(OrderInput.self, Self.body(set: ["priorty": "2", "Quantity": "5"], remove: ["quantity"]))
        #expect(swapped == [
            FieldIssue(field: "quantity", message: M.required),
            FieldIssue(field: "Quantity", message: "unknown field; did you mean 'quantity'?"),
            FieldIssue(field: "priorty", message: "unknown field; did you mean 'priority'?"),
        ])
    }

    @Test func crossFieldRulesWaitForValidFields() {
        // A bad quantity must not also produce a min_lot complaint derived from it.
        let issues = F.issues(OrderInput.self, Self.body(set: ["quantity": "0", "min_lot": "5", "release_date": #""2025-03-11""#]))
        #expect(issues == [
            FieldIssue(field: "quantity", message: "must be a whole number between 1 and 1000000"),
            FieldIssue(field: "release_date", message: "must be on or before due_date (2025-03-10)"),
        ])
    }

    @Test func malformedJSONIs400AndInvalidIs422() {
        #expect(throws: BodyError.malformed(JSONParseError(kind: .unexpectedCharacter, offset: 12,
                                                           message: "unexpected character '}' at offset 12; expected a value"))) {
            try OrderInput.parse(Array(#"{"quantity":}"#.utf8))
        }
        do {
            _ = try OrderInput.parse(Array("{\"quantity\":".utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.httpStatus == 400)
            #expect(error.issues == [FieldIssue(field: "", message: "unexpected end of input at offset 12; expected a value")])
        }
        do {
            _ = try OrderInput.parse(Array("{}".utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.httpStatus == 422)
            #expect(error.issues.map(\.field) == ["capability", "quantity", "due_date"])
        }
    }

    @Test(arguments: ["[]", "null", "\"order\"", "42"])
    func bodyMustBeAnObject(_ text: String) {
        #expect(F.issues(OrderInput.self, text) == [FieldIssue(field: "", message: "the body must be a JSON object")])
    }

    @Test func parseFromAParsedValue() throws {
        let json = try JSONValue.parse(Self.body())
        #expect(try OrderInput.parse(json).quantity == 100)
        #expect(throws: ValidationFailure(field: "quantity", message: M.required)) {
            try OrderInput.parse(JSONValue.parse(Self.body(remove: ["quantity"])))
        }
    }
}
