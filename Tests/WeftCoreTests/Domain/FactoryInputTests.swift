import Testing
@testable import WeftCore

@Suite("Factory inputs")
struct FactoryInputTests {
    typealias F = DomainFixtures
    typealias M = DomainMessages

    static let base: KeyValuePairs<String, String> = [
        "name": #""Shenzhen Board Works""#,
        "region": #""CN-GD""#,
        "lat": "22.54",
        "lon": "114.06",
        "lead_days": "3",
        "certifications": #"["ISO9001","IATF-16949"]"#,
        "capabilities": #"[{"capability":"pcb.fab","setup_cost":5000},{"capability":"pcb.assembly","setup_cost":0}]"#,
        "active": "true",
    ]

    static func body(set: [String: String] = [:], remove: Set<String> = []) -> String {
        F.object(base, set: set, remove: remove)
    }

    static let capabilityList257 = "[" + (0..<257).map { #"{"capability":"c\#($0)","setup_cost":1}"# }.joined(separator: ",") + "]"

    @Test func parsesAFullFactory() throws {
        let factory = try F.parse(FactoryInput.self, Self.body())
        #expect(factory == FactoryInput(
            name: "Shenzhen Board Works", region: "CN-GD", lat: 22.54, lon: 114.06, leadDays: 3,
            certifications: ["ISO9001", "IATF-16949"],
            capabilities: [CapabilitySetupCost(capability: Capability("pcb.fab")!, setupCost: 5000),
                           CapabilitySetupCost(capability: Capability("pcb.assembly")!, setupCost: 0)],
            active: true))
    }

    @Test func optionalFieldsDefault() throws {
        let factory = try F.parse(FactoryInput.self, #"{"name":"A","region":"DE","lead_days":0,"lat":null}"#)
        #expect(factory == FactoryInput(name: "A", region: "DE", leadDays: 0))
        #expect(factory.active)
        #expect(factory.certifications.isEmpty && factory.capabilities.isEmpty && factory.lat == nil)
    }

    @Test func wholeNumbersMayHaveAZeroFraction() throws {
        // JSON Schema's integer includes 3.0; OpenAPI clients and schemathesis send such values.
        let factory = try F.parse(FactoryInput.self, Self.body(set: [
            "lead_days": "3.0", "capabilities": #"[{"capability":"pcb.fab","setup_cost":5e3}]"#]))
        #expect(factory.leadDays == 3)
        #expect(factory.capabilities.first?.setupCost == 5000)
    }

    @Test(arguments: [
        DomainIssueCase(remove: ["name"], field: "name", message: M.required),
        DomainIssueCase(set: ["name": "null"], field: "name", message: M.required),
        DomainIssueCase(set: ["name": #""""#], field: "name", message: "must not be empty"),
        DomainIssueCase(set: ["name": "\"\(String(repeating: "é", count: 201))\""], field: "name", message: M.tooLong200),
        DomainIssueCase(set: ["name": #""   ""#], field: "name", message: "must not be blank"),
        DomainIssueCase(set: ["name": #""a\nb""#], field: "name",
                        message: "must not contain control characters such as line breaks or tabs"),
        DomainIssueCase(set: ["name": #""a\u0000b""#], field: "name",
                        message: "must not contain control characters such as line breaks or tabs"),
        DomainIssueCase(set: ["name": "42"], field: "name", message: "must be a string"),
        DomainIssueCase(remove: ["region"], field: "region", message: M.required),
        DomainIssueCase(set: ["region": #""cn-gd""#], field: "region", message: M.region),
        DomainIssueCase(set: ["region": #""CN--GD""#], field: "region", message: M.region),
        DomainIssueCase(set: ["region": #""-CN""#], field: "region", message: M.region),
        DomainIssueCase(set: ["region": #""CN_GD""#], field: "region", message: M.region),
        DomainIssueCase(set: ["region": "\"\(String(repeating: "A", count: 33))\""], field: "region", message: M.region),
        DomainIssueCase(set: ["lat": "90.5"], field: "lat", message: "must be a number between -90 and 90"),
        DomainIssueCase(set: ["lat": #""22.5""#], field: "lat", message: "must be a number between -90 and 90"),
        DomainIssueCase(set: ["lat": "1e400"], field: "lat", message: "must be a number between -90 and 90"),
        DomainIssueCase(set: ["lon": "-180.01"], field: "lon", message: "must be a number between -180 and 180"),
        DomainIssueCase(remove: ["lead_days"], field: "lead_days", message: M.required),
        DomainIssueCase(set: ["lead_days": "61"], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["lead_days": "-1"], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["lead_days": "1.5"], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["lead_days": "61.0"], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["lead_days": "25e-1"], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["lead_days": #""3""#], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["certifications": #""ISO9001""#], field: "certifications", message: "must be an array"),
        DomainIssueCase(set: ["certifications": F.codes("C", count: 33)], field: "certifications", message: "must have at most 32 entries"),
        DomainIssueCase(set: ["certifications": #"["ISO9001","ISO 14001"]"#], field: "certifications[1]", message: M.certification),
        DomainIssueCase(set: ["certifications": #"["ISO9001",9001]"#], field: "certifications[1]", message: M.certification),
        DomainIssueCase(set: ["certifications": #"["A","ISO9001","ISO9001"]"#], field: "certifications[2]",
                        message: "repeats 'ISO9001', already given at certifications[1]"),
        DomainIssueCase(set: ["capabilities": #"{"capability":"pcb.fab"}"#], field: "capabilities", message: "must be an array"),
        DomainIssueCase(set: ["capabilities": capabilityList257], field: "capabilities", message: "must have at most 256 entries"),
        DomainIssueCase(set: ["capabilities": #"["pcb.fab"]"#], field: "capabilities[0]", message: "must be an object"),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"PCB.fab","setup_cost":1}]"#],
                        field: "capabilities[0].capability", message: M.capability),
        DomainIssueCase(set: ["capabilities": #"[{"setup_cost":1}]"#], field: "capabilities[0].capability", message: M.required),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a"}]"#], field: "capabilities[0].setup_cost", message: M.required),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a","setup_cost":-1}]"#], field: "capabilities[0].setup_cost", message: M.money),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a","setup_cost":0.5}]"#], field: "capabilities[0].setup_cost", message: M.money),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a","setup_cost":1000000000001}]"#],
                        field: "capabilities[0].setup_cost", message: M.money),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a","setup_cost":1,"colour":"red"}]"#],
                        field: "capabilities[0].colour", message: "unknown field"),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a","setup_cost":1},{"capability":"b","setup_cost":1},{"capability":"a","setup_cost":2}]"#],
                        field: "capabilities[2].capability", message: "repeats 'a', already given at capabilities[0]"),
        DomainIssueCase(set: ["active": #""yes""#], field: "active", message: M.bool),
    ])
    func refusesEachBadField(_ row: DomainIssueCase) {
        let issues = F.issues(FactoryInput.self, Self.body(set: row.set, remove: row.remove))
        #expect(issues == [FieldIssue(field: row.field, message: row.message)])
    }

    @Test func typoIsReportedWithASuggestion() {
        let issues = F.issues(FactoryInput.self, Self.body(set: ["leadDays": "3"], remove: ["lead_days"]))
        #expect(issues == [
            FieldIssue(field: "lead_days", message: M.required),
            FieldIssue(field: "leadDays", message: "unknown field; did you mean 'lead_days'?"),
        ])
        let nested = F.issues(FactoryInput.self, Self.body(set: ["capabilities": #"[{"capabilty":"a","setup_cost":1}]"#]))
        #expect(nested == [
            FieldIssue(field: "capabilities[0].capability", message: M.required),
            FieldIssue(field: "capabilities[0].capabilty", message: "unknown field; did you mean 'capability'?"),
        ])
    }

    @Test func reportsEveryProblemAtOnce() {
        let issues = F.issues(FactoryInput.self, Self.body(set: [
            "name": #""""#, "lead_days": "99", "capabilities": #"[{"capability":"ok","setup_cost":"5"}]"#, "colour": "1",
        ]))
        #expect(issues == [
            FieldIssue(field: "name", message: "must not be empty"),
            FieldIssue(field: "lead_days", message: "must be a whole number between 0 and 60"),
            FieldIssue(field: "capabilities[0].setup_cost", message: M.money),
            FieldIssue(field: "colour", message: "unknown field"),
        ])
    }

    @Test func patchKeepsClearsAndSets() throws {
        let empty = try F.parse(FactoryPatch.self, "{}")
        #expect(empty.isEmpty)
        let patch = try F.parse(FactoryPatch.self, #"{"lat":null,"lon":-73.5,"capabilities":[],"active":false,"region":"US-NY"}"#)
        #expect(patch == FactoryPatch(region: "US-NY", lat: .clear, lon: .set(-73.5), capabilities: [], active: false))
        #expect(patch.name == nil && patch.leadDays == nil && patch.certifications == nil)
        let replace = try F.parse(FactoryPatch.self, #"{"capabilities":[{"capability":"sewing","setup_cost":7}],"lead_days":60}"#)
        #expect(replace.capabilities == [CapabilitySetupCost(capability: Capability("sewing")!, setupCost: 7)])
        #expect(replace.leadDays == 60 && replace.lat == .keep)
    }

    @Test(arguments: [
        DomainIssueCase(set: ["name": "null"], field: "name", message: M.notNull),
        DomainIssueCase(set: ["active": "null"], field: "active", message: M.notNull),
        DomainIssueCase(set: ["capabilities": "null"], field: "capabilities", message: M.notNull),
        DomainIssueCase(set: ["name": #""""#], field: "name", message: "must not be empty"),
        DomainIssueCase(set: ["region": #""cn""#], field: "region", message: M.region),
        DomainIssueCase(set: ["lat": "-91"], field: "lat", message: "must be a number between -90 and 90"),
        DomainIssueCase(set: ["lon": "true"], field: "lon", message: "must be a number between -180 and 180"),
        DomainIssueCase(set: ["lead_days": "61"], field: "lead_days", message: "must be a whole number between 0 and 60"),
        DomainIssueCase(set: ["certifications": #"["X","X"]"#], field: "certifications[1]", message: "repeats 'X', already given at certifications[0]"),
        DomainIssueCase(set: ["capabilities": #"[{"capability":"a","setup_cost":1},{"capability":"a","setup_cost":1}]"#],
                        field: "capabilities[1].capability", message: "repeats 'a', already given at capabilities[0]"),
        DomainIssueCase(set: ["active": "1"], field: "active", message: M.bool),
        DomainIssueCase(set: ["nmae": #""x""#], field: "nmae", message: "unknown field; did you mean 'name'?"),
    ])
    func patchRefusesEachBadField(_ row: DomainIssueCase) {
        #expect(F.issues(FactoryPatch.self, F.object([:], set: row.set)) == [FieldIssue(field: row.field, message: row.message)])
    }
}
