import Testing
@testable import WeftCore

@Suite("Broker, API key and run inputs")
struct AccountAndRunInputTests {
    typealias F = DomainFixtures
    typealias M = DomainMessages

    @Test func broker() throws {
        #expect(try F.parse(BrokerInput.self, #"{"name":"Acme Sourcing"}"#) == BrokerInput(name: "Acme Sourcing"))
        #expect(F.issues(BrokerInput.self, "{}") == [FieldIssue(field: "name", message: M.required)])
        #expect(F.issues(BrokerInput.self, "{\"name\":\"\(String(repeating: "b", count: 201))\"}")
            == [FieldIssue(field: "name", message: M.tooLong200)])
        #expect(F.issues(BrokerInput.self, #"{"name":"A","id":"x"}"#) == [FieldIssue(field: "id", message: "unknown field")])
    }

    @Test func apiKeyScopes() throws {
        #expect(try F.parse(APIKeyInput.self, #"{"role":"admin"}"#) == APIKeyInput(scope: .admin))
        let factory = try F.parse(APIKeyInput.self, #"{"role":"factory","factory_id":"\#(F.uuid)","label":"line 3 tablet"}"#)
        #expect(factory == APIKeyInput(scope: .factory(EntityID(F.uuid)!), label: "line 3 tablet"))
        #expect(factory.scope.role == .factory)
        let broker = try F.parse(APIKeyInput.self, #"{"role":"broker","broker_id":"\#(F.uuid2)","label":"","factory_id":null}"#)
        #expect(broker == APIKeyInput(scope: .broker(EntityID(F.uuid2)!)))
    }

    @Test(arguments: [
        (#"{}"#, "role", M.required),
        (#"{"role":"root"}"#, "role", "must be one of: admin, factory, broker"),
        (#"{"role":"Admin"}"#, "role", "must be one of: admin, factory, broker"),
        (#"{"role":"factory"}"#, "factory_id", "is required for a factory key"),
        (#"{"role":"broker"}"#, "broker_id", "is required for a broker key"),
        (#"{"role":"admin","factory_id":"\#(DomainFixtures.uuid)"}"#, "factory_id", "is only allowed for a factory key"),
        (#"{"role":"admin","broker_id":"\#(DomainFixtures.uuid)"}"#, "broker_id", "is only allowed for a broker key"),
        (#"{"role":"broker","broker_id":"\#(DomainFixtures.uuid)","factory_id":"\#(DomainFixtures.uuid2)"}"#,
         "factory_id", "is only allowed for a factory key"),
        (#"{"role":"factory","factory_id":"f-1"}"#, "factory_id", DomainMessages.id),
        (#"{"role":"factory","factory_id":"\#(DomainFixtures.uuid)","label":"\#(String(repeating: "l", count: 201))"}"#,
         "label", DomainMessages.tooLong200),
        (#"{"role":"admin","lable":"x"}"#, "lable", "unknown field; did you mean 'label'?"),
    ])
    func apiKeyRules(_ body: String, _ field: String, _ message: String) {
        #expect(F.issues(APIKeyInput.self, body) == [FieldIssue(field: field, message: message)])
    }

    @Test func runDefaultsAndValues() throws {
        #expect(try F.parse(ScheduleRunInput.self, "{}") == ScheduleRunInput())
        let run = try F.parse(ScheduleRunInput.self,
                              #"{"capabilities":["pcb.fab","sewing"],"dry_run":true,"time_limit_ms":2000,"seed":42,"as_of":"2025-03-01"}"#)
        #expect(run == ScheduleRunInput(capabilities: [Capability("pcb.fab")!, Capability("sewing")!], dryRun: true,
                                        timeLimitMs: 2000, seed: 42, asOf: Day(iso: "2025-03-01")))
    }

    @Test(arguments: [
        (#"{"capabilities":["pcb.fab","pcb.fab"]}"#, "capabilities[1]", "repeats 'pcb.fab', already given at capabilities[0]"),
        (#"{"capabilities":["PCB"]}"#, "capabilities[0]", DomainMessages.capability),
        (#"{"dry_run":"true"}"#, "dry_run", DomainMessages.bool),
        (#"{"time_limit_ms":0}"#, "time_limit_ms", "must be a whole number between 1 and 600000"),
        (#"{"time_limit_ms":600001}"#, "time_limit_ms", "must be a whole number between 1 and 600000"),
        (#"{"seed":-1}"#, "seed", "must be a whole number between 0 and 9223372036854775807"),
        (#"{"seed":9223372036854775808}"#, "seed", "must be a whole number between 0 and 9223372036854775807"),
        (#"{"as_of":"2025-02-29"}"#, "as_of", DomainMessages.day),
        (#"{"dryrun":true}"#, "dryrun", "unknown field; did you mean 'dry_run'?"),
    ])
    func runRules(_ body: String, _ field: String, _ message: String) {
        #expect(F.issues(ScheduleRunInput.self, body) == [FieldIssue(field: field, message: message)])
    }
}
