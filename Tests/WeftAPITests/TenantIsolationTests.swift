import Foundation
import Testing
import WeftTestSupport

/// Every role against every route of the factory side, on its own and on others' objects.
/// 401 without a key, 403 for a role without the right, 404 for another tenant's object
/// (indistinguishable from a missing one), and no write ever lands where it should not.
@Suite("Tenant isolation matrix: keys, brokers, factories, capacity")
struct TenantIsolationTests {
    enum Actor: String, CaseIterable {
        case admin, factoryA, factoryB, broker, anonymous
    }

    struct Objects {
        var factoryA: String
        var factoryB: String
        var missingFactory = "00000000-0000-4000-8000-000000000000"
        var missingKey = "00000000-0000-4000-8000-000000000001"
    }

    struct Cell: Sendable {
        var method: String
        /// Path and body for the acting role (bodies carry the actor's name to trace writes).
        var request: @Sendable (Objects, Actor) -> (path: String, body: String?)
        var expected: [Actor: Int]
        var label: String
    }

    /// Expected statuses in the order admin, factory A, factory B, broker, no key.
    static func statuses(_ admin: Int, _ a: Int, _ b: Int, _ broker: Int, _ anonymous: Int) -> [Actor: Int] {
        [.admin: admin, .factoryA: a, .factoryB: b, .broker: broker, .anonymous: anonymous]
    }

    static let adminOnly = (created: statuses(201, 403, 403, 403, 401), ok: statuses(200, 403, 403, 403, 401))
    static let ownA = statuses(200, 200, 404, 403, 401)
    static let ownB = statuses(200, 404, 200, 403, 401)
    static let nobody = statuses(404, 404, 404, 403, 401)

    static func slotBody(_ actor: Actor) -> String {
        slotsBody([("pcb.fab", "2030-01-01", Actor.allCases.firstIndex(of: actor)! + 1, 7)])
    }

    static let cells: [Cell] = [
        Cell(method: "POST", request: { _, actor in ("/v1/api-keys", #"{"role":"admin","label":"by \#(actor)"}"#) },
             expected: adminOnly.created, label: "issue key"),
        Cell(method: "GET", request: { _, _ in ("/v1/api-keys", nil) }, expected: adminOnly.ok, label: "list keys"),
        Cell(method: "DELETE", request: { _, _ in ("/v1/api-keys/{fresh-key}", nil) },
             expected: statuses(204, 403, 403, 403, 401), label: "revoke key"),
        Cell(method: "DELETE", request: { objects, _ in ("/v1/api-keys/\(objects.missingKey)", nil) },
             expected: statuses(404, 403, 403, 403, 401), label: "revoke missing key"),
        Cell(method: "POST", request: { _, actor in ("/v1/brokers", #"{"name":"by \#(actor)"}"#) },
             expected: adminOnly.created, label: "create broker"),
        Cell(method: "GET", request: { _, _ in ("/v1/brokers", nil) }, expected: adminOnly.ok, label: "list brokers"),
        Cell(method: "POST", request: { _, actor in ("/v1/factories", #"{"name":"by \#(actor)","region":"DE","lead_days":1}"#) },
             expected: adminOnly.created, label: "create factory"),
        Cell(method: "GET", request: { _, _ in ("/v1/factories", nil) }, expected: adminOnly.ok, label: "list factories"),
        Cell(method: "GET", request: { objects, _ in ("/v1/factories/\(objects.factoryA)", nil) }, expected: ownA, label: "get factory A"),
        Cell(method: "GET", request: { objects, _ in ("/v1/factories/\(objects.factoryB)", nil) }, expected: ownB, label: "get factory B"),
        Cell(method: "GET", request: { objects, _ in ("/v1/factories/\(objects.missingFactory)", nil) }, expected: nobody, label: "get missing factory"),
        Cell(method: "PATCH", request: { objects, actor in ("/v1/factories/\(objects.factoryA)", #"{"name":"by \#(actor)"}"#) },
             expected: ownA, label: "patch factory A"),
        Cell(method: "PATCH", request: { objects, actor in ("/v1/factories/\(objects.factoryB)", #"{"name":"by \#(actor)"}"#) },
             expected: ownB, label: "patch factory B"),
        Cell(method: "PATCH", request: { objects, _ in ("/v1/factories/\(objects.missingFactory)", #"{"lead_days":1}"#) },
             expected: nobody, label: "patch missing factory"),
        Cell(method: "PUT", request: { objects, actor in ("/v1/factories/\(objects.factoryA)/capacity", slotBody(actor)) },
             expected: ownA, label: "put capacity A"),
        Cell(method: "PUT", request: { objects, actor in ("/v1/factories/\(objects.factoryB)/capacity", slotBody(actor)) },
             expected: ownB, label: "put capacity B"),
        Cell(method: "PUT", request: { objects, actor in ("/v1/factories/\(objects.missingFactory)/capacity", slotBody(actor)) },
             expected: nobody, label: "put capacity on missing factory"),
        Cell(method: "GET", request: { objects, _ in ("/v1/factories/\(objects.factoryA)/capacity?from=2030-01-01", nil) },
             expected: ownA, label: "get capacity A"),
        Cell(method: "GET", request: { objects, _ in ("/v1/factories/\(objects.factoryB)/capacity?from=2030-01-01", nil) },
             expected: ownB, label: "get capacity B"),
        Cell(method: "GET", request: { objects, _ in ("/v1/factories/\(objects.missingFactory)/capacity", nil) },
             expected: nobody, label: "get capacity of missing factory"),
    ]

    @Test func everyRoleOnEveryRoute() async throws {
        let api = try await FactoryAPIFixture.start()
        let objects = Objects(factoryA: try await api.createFactory(name: "A"), factoryB: try await api.createFactory(name: "B"))
        let brokerID = try await api.createBroker()
        let keys: [Actor: String] = [
            .admin: api.adminKey,
            .factoryA: try await api.factoryKey(objects.factoryA),
            .factoryB: try await api.factoryKey(objects.factoryB),
            .broker: try await api.createKey(#"{"role":"broker","broker_id":"\#(brokerID)"}"#).secret,
        ]
        var checked = 0
        for cell in Self.cells {
            for actor in Actor.allCases {
                var (path, body) = cell.request(objects, actor)
                if path.contains("{fresh-key}") {
                    path = path.replacingOccurrences(of: "{fresh-key}", with: try await api.createKey(#"{"role":"admin"}"#).id)
                }
                let response = try await api.send(cell.method, path, key: keys[actor], json: body)
                #expect(response.status == cell.expected[actor], "\(cell.label) as \(actor): \(response.status) \(response.text)")
                if response.status >= 400 {
                    #expect(response.isProblem, "\(cell.label) as \(actor) must answer problem+json")
                }
                checked += 1
            }
        }
        #expect(checked == Self.cells.count * Actor.allCases.count)

        // Only the allowed writes landed: the last allowed patch of A was A's own, of B B's own.
        let a = try await api.admin("GET", "/v1/factories/\(objects.factoryA)")
        let b = try await api.admin("GET", "/v1/factories/\(objects.factoryB)")
        #expect(a.json["name"] as? String == "by factoryA")
        #expect(b.json["name"] as? String == "by factoryB")
        let slotsA = try await api.admin("GET", "/v1/factories/\(objects.factoryA)/capacity?from=2030-01-01&to=2030-01-01")
        let slotsB = try await api.admin("GET", "/v1/factories/\(objects.factoryB)/capacity?from=2030-01-01&to=2030-01-01")
        #expect((slotsA.json["slots"] as? [[String: Any]])?.first?["units"] as? Int == 2) // factory A's PUT
        #expect((slotsB.json["slots"] as? [[String: Any]])?.first?["units"] as? Int == 3) // factory B's PUT
        try await api.stop()
    }

    @Test func forbiddenSaysWhichKeyIsNeeded() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory()
        let broker = try await api.createKey(#"{"role":"broker","broker_id":"\#(try await api.createBroker())"}"#).secret
        let asBroker = try await api.send("GET", "/v1/factories/\(factory)", key: broker)
        #expect(asBroker.json["detail"] as? String == "This needs an admin or factory key; yours is a broker key.")
        let asFactory = try await api.send("GET", "/v1/brokers", key: try await api.factoryKey(factory))
        #expect(asFactory.json["detail"] as? String == "This needs an admin key; yours is a factory key.")
        try await api.stop()
    }

    @Test func anotherTenantsFactoryLooksExactlyLikeAMissingOne() async throws {
        let api = try await FactoryAPIFixture.start()
        let a = try await api.createFactory(name: "A")
        let b = try await api.createFactory(name: "B")
        let keyA = try await api.factoryKey(a)
        let missing = "00000000-0000-4000-8000-000000000000"
        for suffix in ["", "/capacity"] {
            let foreign = try await api.send("GET", "/v1/factories/\(b)\(suffix)", key: keyA)
            let absent = try await api.send("GET", "/v1/factories/\(missing)\(suffix)", key: keyA)
            #expect(foreign.status == 404 && absent.status == 404)
            let foreignDetail = (foreign.json["detail"] as? String)?.replacingOccurrences(of: b, with: "ID")
            let absentDetail = (absent.json["detail"] as? String)?.replacingOccurrences(of: missing, with: "ID")
            #expect(foreignDetail != nil && foreignDetail == absentDetail)
        }
        try await api.stop()
    }
}
