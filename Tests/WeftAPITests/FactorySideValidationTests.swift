import Foundation
import Testing
import WeftTestSupport

/// Core tests every rule in detail; these prove each route is wired to it: 400 for bytes
/// that are not JSON, 422 with every problem and its field path, unknown fields and query
/// parameters refused, malformed ids 404 — and never a 500.
@Suite("Validation through the factory-side routes")
struct FactorySideValidationTests {
    struct Case: Sendable {
        var method: String
        var path: String
        var body: String?
        var status: Int
        /// (field, part of the message) pairs that must all be in `errors`.
        var errors: [(String, String)] = []
    }

    static func cases(factory f: String) -> [Case] {
        let many = (0..<20).map { #"{"capability":"pcb.fab","date":"2030-01-\#(String(format: "%02d", $0 + 1))","units":1,"unit_cost":1}"# }
        var slots = many
        slots[17] = #"{"capability":"pcb.fab","date":"2030-02-30","units":1,"unit_cost":1}"#
        return [
            // Not JSON at all: 400, for each body route.
            Case(method: "POST", path: "/v1/api-keys", body: #"{"role":"admin",}"#, status: 400),
            Case(method: "POST", path: "/v1/brokers", body: "name=x", status: 400),
            Case(method: "POST", path: "/v1/factories", body: "{", status: 400),
            Case(method: "PATCH", path: "/v1/factories/\(f)", body: "", status: 400),
            Case(method: "PUT", path: "/v1/factories/\(f)/capacity", body: #"{"slots":[}"#, status: 400),
            // API keys.
            Case(method: "POST", path: "/v1/api-keys", body: #"{"role":"factory","lable":"x"}"#, status: 422,
                 errors: [("factory_id", "is required for a factory key"), ("lable", "unknown field; did you mean 'label'?")]),
            Case(method: "POST", path: "/v1/api-keys", body: #"{"role":"admin","broker_id":"\#(f)"}"#, status: 422,
                 errors: [("broker_id", "is only allowed for a broker key")]),
            Case(method: "POST", path: "/v1/api-keys", body: #"{"role":"root","factory_id":"nope"}"#, status: 422,
                 errors: [("role", "must be one of: admin, factory, broker"), ("factory_id", "must be an id")]),
            // Brokers.
            Case(method: "POST", path: "/v1/brokers", body: #"{"name":""}"#, status: 422, errors: [("name", "must not be empty")]),
            Case(method: "POST", path: "/v1/brokers", body: #"{"nmae":"x"}"#, status: 422,
                 errors: [("name", "is required"), ("nmae", "did you mean 'name'?")]),
            Case(method: "POST", path: "/v1/brokers", body: "[]", status: 422, errors: [("", "the body must be a JSON object")]),
            // Factories: several problems at once.
            Case(method: "POST", path: "/v1/factories", body: """
                {"region":"cn-gd","lead_days":61,"lat":91,"certifications":["ISO9001","ISO9001"],
                 "capabilities":[{"capability":"PCB","setup_cost":1.5},{"capability":"pcb.fab","setup_cost":1},{"capability":"pcb.fab","setup_cost":2}],
                 "active":"yes"}
                """, status: 422, errors: [
                    ("name", "is required"), ("region", "must be a region code"), ("lead_days", "must be a whole number between 0 and 60"),
                    ("lat", "must be a number between -90 and 90"), ("certifications[1]", "repeats 'ISO9001'"),
                    ("capabilities[0].capability", "must be a capability code"), ("capabilities[0].setup_cost", "whole number of minor currency units"),
                    ("capabilities[2].capability", "repeats 'pcb.fab', already given at capabilities[1]"), ("active", "must be true or false"),
                ]),
            Case(method: "POST", path: "/v1/factories", body: #"{"name":"\#(String(repeating: "x", count: 201))","region":"DE","lead_days":1,"certifications":[\#((0..<33).map { "\"C\($0)\"" }.joined(separator: ","))]}"#,
                 status: 422, errors: [("name", "must be 200 characters or fewer"), ("certifications", "must have at most 32 entries")]),
            Case(method: "PATCH", path: "/v1/factories/\(f)", body: #"{"name":null,"lead_day":3}"#, status: 422,
                 errors: [("name", "must not be null"), ("lead_day", "did you mean 'lead_days'?")]),
            // Capacity.
            Case(method: "PUT", path: "/v1/factories/\(f)/capacity", body: #"{"slots":[\#(slots.joined(separator: ","))]}"#, status: 422,
                 errors: [("slots[17].date", "must be a real calendar date as YYYY-MM-DD")]),
            Case(method: "PUT", path: "/v1/factories/\(f)/capacity", body: """
                {"slots":[{"capability":"pcb.fab","date":"2030-01-01","units":-1,"unit_cost":10000000000000},
                          {"capability":"pcb.fab","date":"2030-01-02","units":1,"unit_cost":1},
                          {"capability":"pcb.fab","date":"2030-01-02","units":2,"unit_cost":1},
                          {"capability":"pcb..fab","date":"1/2/2030","unit":1}]}
                """, status: 422, errors: [
                    ("slots[0].units", "must be a whole number between 0 and 1000000000"), ("slots[0].unit_cost", "minor currency units"),
                    ("slots[2]", "repeats the slot for 'pcb.fab' on 2030-01-02, already given at slots[1]"),
                    ("slots[3].capability", "must be a capability code"), ("slots[3].date", "must be a real calendar date"),
                    ("slots[3].units", "is required"), ("slots[3].unit_cost", "is required"), ("slots[3].unit", "did you mean 'units'?"),
                ]),
            Case(method: "PUT", path: "/v1/factories/\(f)/capacity", body: #"{"slots":[]}"#, status: 422,
                 errors: [("slots", "must have at least 1 entry")]),
            // Query parameters.
            Case(method: "PUT", path: "/v1/factories/\(f)/capacity?dry_run=true", body: slotsBody([("pcb.fab", "2030-01-01", 1, 1)]), status: 422,
                 errors: [("dry_run", "unknown parameter")]),
            Case(method: "GET", path: "/v1/factories/\(f)/capacity?from=2030-13-01&capability=PCB&form=x", status: 422,
                 errors: [("from", "must be a real calendar date"), ("capability", "must be a capability code"), ("form", "did you mean 'from'?")]),
            Case(method: "GET", path: "/v1/factories?regoin=DE&active=yes&region=de", status: 422,
                 errors: [("regoin", "did you mean 'region'?"), ("active", "must be true or false"), ("region", "must be a region code")]),
            Case(method: "GET", path: "/v1/factories?limit=0", status: 422, errors: [("limit", "must be a whole number between 1 and 500")]),
            Case(method: "GET", path: "/v1/brokers?limit=501", status: 422, errors: [("limit", "between 1 and 500")]),
            Case(method: "GET", path: "/v1/api-keys?cursor=garbage", status: 422, errors: [("cursor", "is not a cursor returned by this API")]),
            // A well-formed cursor whose id is not a UUID, and one whose time is absurd.
            Case(method: "GET", path: "/v1/brokers?cursor=MTIzOm5vdC1hLXV1aWQ", status: 422, errors: [("cursor", "is not a cursor")]),
            Case(method: "GET", path: "/v1/factories?cursor=OTIyMzM3MjAzNjg1NDc3NTgwNzphYmM", status: 422, errors: [("cursor", "is not a cursor")]),
            Case(method: "POST", path: "/v1/brokers?dry_run=true", body: #"{"name":"x"}"#, status: 422, errors: [("dry_run", "unknown parameter")]),
            Case(method: "GET", path: "/v1/factories/\(f)?x=1", status: 422, errors: [("x", "unknown parameter")]),
            // Malformed ids name nothing: 404.
            Case(method: "GET", path: "/v1/factories/not-a-uuid", status: 404),
            Case(method: "PATCH", path: "/v1/factories/123", body: "{}", status: 404),
            Case(method: "PUT", path: "/v1/factories/%00/capacity", body: "{}", status: 404),
            Case(method: "GET", path: "/v1/factories/\(f)x/capacity", status: 404),
            Case(method: "DELETE", path: "/v1/api-keys/'%20OR%201=1", status: 404),
        ]
    }

    @Test func everyRouteAnswersBadInputWithAProblemNamingTheFields() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 1])
        let key = try await api.factoryKey(factory)
        for item in Self.cases(factory: factory) {
            // Admin-only routes as admin, factory routes as the factory itself.
            let asFactory = item.path.hasPrefix("/v1/factories/")
            let response = try await api.send(item.method, item.path, key: asFactory ? key : api.adminKey, json: item.body)
            let label = "\(item.method) \(item.path)"
            #expect(response.status == item.status, "\(label): \(response.status) \(response.text)")
            #expect(response.isProblem, "\(label)")
            #expect(response.json["status"] as? Int == item.status)
            for (field, message) in item.errors {
                #expect(response.hasError(field, message), "\(label): no error \(field): \(message) in \(response.fieldErrors)")
            }
            if item.status == 422 {
                #expect(response.json["type"] as? String == "https://weft.dev/problems/validation", "\(label)")
                #expect(response.fieldErrors.count == item.errors.count, "\(label): \(response.fieldErrors)")
            }
        }
        // Nothing was written by any refused request.
        #expect(try await api.server.pool.query("SELECT count(*) FROM capacity_slots")[0].decode(Int.self, 0) == 0)
        #expect(try await api.server.pool.query("SELECT count(*) FROM brokers")[0].decode(Int.self, 0) == 0)
        #expect(try await api.server.pool.query("SELECT count(*) FROM factories")[0].decode(Int.self, 0) == 1)
        try await api.stop()
    }

    @Test func thousandsOfBadSlotsGetAReadableCappedAnswer() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 1])
        let bad = (0..<5_000).map { #"{"capability":"pcb.fab","date":"2030-01-01x","units":\#($0),"unit_cost":1}"# }
        let response = try await api.admin("PUT", "/v1/factories/\(factory)/capacity", json: #"{"slots":[\#(bad.joined(separator: ","))]}"#)
        #expect(response.status == 422)
        #expect(response.fieldErrors.count == 100)
        #expect(response.fieldErrors.last?.message.contains("and 4901 more problems") == true)
        try await api.stop()
    }
}
