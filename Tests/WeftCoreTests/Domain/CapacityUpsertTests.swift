import Testing
@testable import WeftCore

@Suite("Capacity upsert")
struct CapacityUpsertTests {
    typealias F = DomainFixtures
    typealias M = DomainMessages

    static func slot(_ capability: String = "pcb.fab", _ date: String = "2025-03-01", units: String = "100", cost: String = "250") -> String {
        #"{"capability":"\#(capability)","date":"\#(date)","units":\#(units),"unit_cost":\#(cost)}"#
    }

    static func body(_ slots: [String]) -> String { #"{"slots":["# + slots.joined(separator: ",") + "]}" }

    /// Twenty distinct valid slots with slot 17 replaced.
    static func twenty(replacing17 with: String) -> String {
        var slots = (0..<20).map { slot("pcb.fab", Day(iso: "2025-03-01")!.adding(days: $0).iso) }
        slots[17] = with
        return body(slots)
    }

    @Test func parsesSlots() throws {
        let upsert = try F.parse(CapacityUpsert.self, Self.body([Self.slot(), Self.slot("sewing", "2024-02-29", units: "0", cost: "0")]))
        #expect(upsert.slots == [
            CapacitySlotInput(capability: Capability("pcb.fab")!, date: Day(iso: "2025-03-01")!, units: 100, unitCost: 250),
            CapacitySlotInput(capability: Capability("sewing")!, date: Day(iso: "2024-02-29")!, units: 0, unitCost: 0),
        ])
    }

    @Test func sameDateDifferentCapabilityIsNotADuplicate() throws {
        let upsert = try F.parse(CapacityUpsert.self, Self.body([Self.slot("a"), Self.slot("b"), Self.slot("a", "2025-03-02")]))
        #expect(upsert.slots.count == 3)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var body: String
        var issues: [FieldIssue]
        var testDescription: String { String(body.prefix(90)) }
        init(_ body: String, _ field: String, _ message: String) {
            self.body = body
            self.issues = [FieldIssue(field: field, message: message)]
        }
        init(_ body: String, _ issues: [FieldIssue]) {
            self.body = body
            self.issues = issues
        }
    }

    @Test(arguments: [
        Row("{}", "slots", M.required),
        Row(#"{"slots":null}"#, "slots", M.required),
        Row(#"{"slots":{}}"#, "slots", "must be an array"),
        Row(#"{"slots":[]}"#, "slots", "must have at least 1 entry"),
        Row(#"{"slots":["# + Array(repeating: "{}", count: 50_001).joined(separator: ",") + "]}", "slots", "must have at most 50000 entries"),
        Row(twenty(replacing17: slot("pcb.fab", "2025-02-30")), "slots[17].date", M.day),
        Row(twenty(replacing17: slot("pcb.fab", "2025-3-1")), "slots[17].date", M.day),
        Row(twenty(replacing17: slot("pcb.fab", "01/03/2025")), "slots[17].date", M.day),
        Row(twenty(replacing17: slot("pcb.fab", "2025-03-01T00:00:00Z")), "slots[17].date", M.day),
        Row(body([slot("Pcb.Fab")]), "slots[0].capability", M.capability),
        Row(body([slot("pcb..fab")]), "slots[0].capability", M.capability),
        Row(body([slot(units: "-1")]), "slots[0].units", "must be a whole number between 0 and 1000000000"),
        Row(body([slot(units: "1000000001")]), "slots[0].units", "must be a whole number between 0 and 1000000000"),
        Row(body([slot(units: "2.5")]), "slots[0].units", "must be a whole number between 0 and 1000000000"),
        Row(body([slot(units: "99999999999999999999999")]), "slots[0].units", "must be a whole number between 0 and 1000000000"),
        Row(body([slot(units: "null")]), "slots[0].units", M.required),
        Row(body([slot(cost: "-5")]), "slots[0].unit_cost", M.money),
        Row(body([slot(cost: "1000000000001")]), "slots[0].unit_cost", M.money),
        Row(body([slot(cost: "9.99")]), "slots[0].unit_cost", M.money),
        Row(body([slot(cost: #""250""#)]), "slots[0].unit_cost", M.money),
        Row(body(["[]"]), "slots[0]", "must be an object"),
        Row(body([#"{"capability":"a","date":"2025-03-01","units":1}"#]), "slots[0].unit_cost", M.required),
        Row(body([slot(), slot("b"), slot()]), "slots[2]", "repeats the slot for 'pcb.fab' on 2025-03-01, already given at slots[0]"),
        Row(body([#"{"capability":"a","date":"2025-03-01","units":1,"unit_costs":2}"#]), [
            FieldIssue(field: "slots[0].unit_cost", message: M.required),
            FieldIssue(field: "slots[0].unit_costs", message: "unknown field; did you mean 'unit_cost'?"),
        ]),
        Row(#"{"slot":[]}"#, [
            FieldIssue(field: "slots", message: M.required),
            FieldIssue(field: "slot", message: "unknown field; did you mean 'slots'?"),
        ]),
    ])
    func refusesBadSlots(_ row: Row) {
        #expect(F.issues(CapacityUpsert.self, row.body) == row.issues)
    }

    @Test func reportsProblemsInManySlotsAtOnce() {
        let body = Self.body([Self.slot(units: "-1"), Self.slot("b", "2025-13-01"), Self.slot("c", cost: "1.5")])
        #expect(F.issues(CapacityUpsert.self, body) == [
            FieldIssue(field: "slots[0].units", message: "must be a whole number between 0 and 1000000000"),
            FieldIssue(field: "slots[1].date", message: M.day),
            FieldIssue(field: "slots[2].unit_cost", message: M.money),
        ])
    }

    static func tenThousandSlots(date: (Int) -> String) -> String {
        let capabilities = (0..<10).map { "cap\($0).line" }
        return body((0..<10_000).map { index in
            slot(capabilities[index % 10], date(index), units: String(index % 500), cost: String(100 + index % 7))
        })
    }

    @Test func parsesTenThousandSlots() throws {
        let first = Day(iso: "2025-01-01")!
        let text = Self.tenThousandSlots { first.adding(days: $0 / 10).iso }
        let upsert = try F.parse(CapacityUpsert.self, text)
        #expect(upsert.slots.count == 10_000)
        #expect(upsert.slots[9_999] == CapacitySlotInput(capability: Capability("cap9.line")!, date: first.adding(days: 999),
                                                         units: 9_999 % 500, unitCost: 100 + 9_999 % 7))
        #expect(Set(upsert.slots.map { "\($0.capability)/\($0.date)" }).count == 10_000)
    }

    @Test func manyBadSlotsAreCappedToAReadableList() {
        let text = Self.tenThousandSlots { _ in "2025-02-30" }
        let issues = F.issues(CapacityUpsert.self, text)
        #expect(issues.count == ValidationFailure.maxIssues)
        #expect(issues.first == FieldIssue(field: "slots[0].date", message: M.day))
        #expect(issues[98] == FieldIssue(field: "slots[98].date", message: M.day))
        #expect(issues.last == FieldIssue(field: "", message: "and 9901 more problems like those above"))
    }
}
