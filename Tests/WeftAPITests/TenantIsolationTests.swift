import Foundation
import Testing
import WeftTestSupport

/// Every role against every route the router serves, on its own and on others' objects.
/// 401 without a key, 403 for a role without the right, 404 for another tenant's object
/// (indistinguishable from a missing one), and no write ever lands where it should not. The
/// routes come from the router's own table: a route without a row here fails the test, so a
/// new route cannot be left out of the matrix.
@Suite("Tenant isolation matrix: every route, every role")
struct TenantIsolationTests {
    enum Actor: String, CaseIterable {
        case admin, factoryA, factoryB, brokerA, brokerB, anonymous
    }

    /// The objects the requests name, made once per run.
    struct World: Sendable {
        var factoryA: String
        var factoryB: String
        var brokerA: String
        var orderA: String          // broker A's order, placed in factory A
        var cancellableA: String    // another of broker A's orders, for the cancel route
        var allocationA: String     // an allocation of orderA, in factory A
        var runID: String
        var missingFactory = "00000000-0000-4000-8000-000000000000"
        var missingKey = "00000000-0000-4000-8000-000000000001"
        var dueDate: String
    }

    /// How a cell's request is authenticated.
    enum Auth: Sendable {
        /// `Authorization: Bearer` with the actor's key (none for `anonymous`).
        case bearer
        /// The dashboard's session cookie: the admin signs in first; other keys cannot, so
        /// they come with their bearer key and no cookie.
        case dashboardSession
        /// The sign-in form, with the actor's key as the `key` field.
        case loginForm
    }

    struct Cell: Sendable {
        var auth: Auth = .bearer
        /// Path and JSON body for the acting role (bodies carry the actor's name to trace writes).
        var request: @Sendable (World, Actor) -> (path: String, body: String?)
        var expected: [Actor: Int]
        var label: String
    }

    /// Expected statuses in the order admin, factory A, factory B, broker A, broker B, no key.
    static func statuses(_ admin: Int, _ a: Int, _ b: Int, _ brokerA: Int, _ brokerB: Int, _ anonymous: Int) -> [Actor: Int] {
        [.admin: admin, .factoryA: a, .factoryB: b, .brokerA: brokerA, .brokerB: brokerB, .anonymous: anonymous]
    }

    static let everyone200 = statuses(200, 200, 200, 200, 200, 200)
    static let adminOnly = (created: statuses(201, 403, 403, 403, 403, 401), ok: statuses(200, 403, 403, 403, 403, 401))
    static let ownFactoryA = statuses(200, 200, 404, 403, 403, 401)
    static let missingFactory = statuses(404, 404, 404, 403, 403, 401)
    static let ownOrderA = statuses(200, 403, 403, 200, 404, 401)
    static let brokers = (created: statuses(201, 403, 403, 201, 201, 401), ok: statuses(200, 403, 403, 200, 200, 401))
    static let dashboardPage = statuses(200, 303, 303, 303, 303, 303)

    static func slotBody(_ actor: Actor) -> String {
        slotsBody([("pcb.fab", "2030-01-01", Actor.allCases.firstIndex(of: actor)! + 1, 7)])
    }

    static func orderBody(_ world: World, _ actor: Actor) -> String {
        let broker = actor == .admin ? #""broker_id":"\#(world.brokerA)","# : ""
        return #"{\#(broker)"capability":"pcb.fab","quantity":1,"due_date":"\#(world.dueDate)","reference":"by \#(actor)"}"#
    }

    static func path(_ path: String) -> @Sendable (World, Actor) -> (path: String, body: String?) { { _, _ in (path, nil) } }

    /// Every route the app serves ("METHOD template") and the cells that exercise it.
    static let cells: [String: [Cell]] = [
        "GET /healthz": [Cell(request: path("/healthz"), expected: everyone200, label: "liveness")],
        "GET /readyz": [Cell(request: path("/readyz"), expected: everyone200, label: "readiness")],
        "GET /openapi.yaml": [Cell(request: path("/openapi.yaml"), expected: everyone200, label: "OpenAPI document")],
        "GET /metrics": [Cell(request: path("/metrics"), expected: everyone200, label: "metrics")],

        "GET /dashboard": [Cell(auth: .dashboardSession, request: path("/dashboard"), expected: dashboardPage, label: "dashboard")],
        "GET /dashboard/orders": [Cell(auth: .dashboardSession, request: path("/dashboard/orders"), expected: dashboardPage, label: "dashboard orders")],
        "GET /dashboard/unserved": [Cell(auth: .dashboardSession, request: path("/dashboard/unserved"), expected: dashboardPage, label: "dashboard unserved")],
        "GET /dashboard/runs": [Cell(auth: .dashboardSession, request: path("/dashboard/runs"), expected: dashboardPage, label: "dashboard runs")],
        "GET /dashboard/batches": [Cell(auth: .dashboardSession, request: path("/dashboard/batches"), expected: dashboardPage, label: "dashboard batches")],
        "GET /dashboard/login": [Cell(auth: .dashboardSession, request: path("/dashboard/login"), expected: statuses(303, 200, 200, 200, 200, 200),
                                      label: "sign-in form")],
        "POST /dashboard/login": [Cell(auth: .loginForm, request: path("/dashboard/login"), expected: statuses(303, 403, 403, 403, 403, 401),
                                       label: "sign in")],
        "POST /dashboard/logout": [Cell(auth: .dashboardSession, request: path("/dashboard/logout"), expected: statuses(303, 303, 303, 303, 303, 303),
                                        label: "sign out")],

        "POST /v1/api-keys": [Cell(request: { _, actor in ("/v1/api-keys", #"{"role":"admin","label":"by \#(actor)"}"#) },
                                   expected: adminOnly.created, label: "issue key")],
        "GET /v1/api-keys": [Cell(request: path("/v1/api-keys"), expected: adminOnly.ok, label: "list keys")],
        "DELETE /v1/api-keys/{id}": [
            Cell(request: path("/v1/api-keys/{fresh-key}"), expected: statuses(204, 403, 403, 403, 403, 401), label: "revoke key"),
            Cell(request: { world, _ in ("/v1/api-keys/\(world.missingKey)", nil) }, expected: statuses(404, 403, 403, 403, 403, 401),
                 label: "revoke missing key"),
        ],
        "POST /v1/brokers": [Cell(request: { _, actor in ("/v1/brokers", #"{"name":"by \#(actor)"}"#) }, expected: adminOnly.created,
                                  label: "create broker")],
        "GET /v1/brokers": [Cell(request: path("/v1/brokers"), expected: adminOnly.ok, label: "list brokers")],
        "POST /v1/factories": [Cell(request: { _, actor in ("/v1/factories", #"{"name":"by \#(actor)","region":"DE","lead_days":1}"#) },
                                    expected: adminOnly.created, label: "create factory")],
        "GET /v1/factories": [Cell(request: path("/v1/factories"), expected: adminOnly.ok, label: "list factories")],
        "GET /v1/factories/{id}": [
            Cell(request: { world, _ in ("/v1/factories/\(world.factoryA)", nil) }, expected: ownFactoryA, label: "get factory A"),
            Cell(request: { world, _ in ("/v1/factories/\(world.missingFactory)", nil) }, expected: missingFactory, label: "get missing factory"),
        ],
        "PATCH /v1/factories/{id}": [
            Cell(request: { world, actor in ("/v1/factories/\(world.factoryA)", #"{"name":"by \#(actor)"}"#) }, expected: ownFactoryA,
                 label: "patch factory A"),
            Cell(request: { world, actor in ("/v1/factories/\(world.factoryB)", #"{"name":"by \#(actor)"}"#) },
                 expected: statuses(200, 404, 200, 403, 403, 401), label: "patch factory B"),
            Cell(request: { world, _ in ("/v1/factories/\(world.missingFactory)", #"{"lead_days":1}"#) }, expected: missingFactory,
                 label: "patch missing factory"),
        ],
        "PUT /v1/factories/{id}/capacity": [
            Cell(request: { world, actor in ("/v1/factories/\(world.factoryA)/capacity", slotBody(actor)) }, expected: ownFactoryA,
                 label: "put capacity A"),
            Cell(request: { world, actor in ("/v1/factories/\(world.factoryB)/capacity", slotBody(actor)) },
                 expected: statuses(200, 404, 200, 403, 403, 401), label: "put capacity B"),
            Cell(request: { world, actor in ("/v1/factories/\(world.missingFactory)/capacity", slotBody(actor)) }, expected: missingFactory,
                 label: "put capacity on missing factory"),
        ],
        "GET /v1/factories/{id}/capacity": [
            Cell(request: { world, _ in ("/v1/factories/\(world.factoryA)/capacity?from=2030-01-01", nil) }, expected: ownFactoryA,
                 label: "get capacity A"),
            Cell(request: { world, _ in ("/v1/factories/\(world.missingFactory)/capacity", nil) }, expected: missingFactory,
                 label: "get capacity of missing factory"),
        ],
        "GET /v1/factories/{id}/allocations": [
            Cell(request: { world, _ in ("/v1/factories/\(world.factoryA)/allocations", nil) }, expected: ownFactoryA,
                 label: "factory A's allocations"),
        ],
        "GET /v1/factories/{id}/batches": [
            Cell(request: { world, _ in ("/v1/factories/\(world.factoryA)/batches", nil) }, expected: ownFactoryA,
                 label: "factory A's batches"),
            Cell(request: { world, _ in ("/v1/factories/\(world.factoryB)/batches?capability=pcb.fab", nil) },
                 expected: statuses(200, 404, 200, 403, 403, 401), label: "factory B's batches"),
            Cell(request: { world, _ in ("/v1/factories/\(world.missingFactory)/batches", nil) }, expected: missingFactory,
                 label: "batches of a missing factory"),
        ],
        // Only the factory itself confirms its work: admins read, they do not confirm.
        "POST /v1/allocations/{id}/confirm": [
            Cell(request: { world, _ in ("/v1/allocations/\(world.allocationA)/confirm", nil) }, expected: statuses(403, 200, 404, 403, 403, 401),
                 label: "confirm an allocation in factory A"),
        ],
        "POST /v1/schedule-runs": [Cell(request: { _, _ in ("/v1/schedule-runs", #"{"dry_run":true,"time_limit_ms":100}"#) },
                                        expected: statuses(202, 403, 403, 403, 403, 401), label: "start a run")],
        "GET /v1/schedule-runs": [Cell(request: path("/v1/schedule-runs"), expected: adminOnly.ok, label: "list runs")],
        "GET /v1/schedule-runs/{id}": [Cell(request: { world, _ in ("/v1/schedule-runs/\(world.runID)", nil) }, expected: adminOnly.ok,
                                            label: "get a run")],
        "GET /v1/reports/utilization": [Cell(request: path("/v1/reports/utilization"), expected: adminOnly.ok, label: "utilization report")],
        "GET /v1/reports/orders": [Cell(request: path("/v1/reports/orders"), expected: adminOnly.ok, label: "orders report")],
        "POST /v1/orders": [Cell(request: { world, actor in ("/v1/orders", orderBody(world, actor)) }, expected: brokers.created,
                                 label: "submit an order")],
        "POST /v1/quotes": [Cell(request: { world, actor in ("/v1/quotes", orderBody(world, actor)) }, expected: brokers.ok, label: "quote")],
        "GET /v1/orders": [Cell(request: path("/v1/orders"), expected: brokers.ok, label: "list orders")],
        "GET /v1/orders/{id}": [Cell(request: { world, _ in ("/v1/orders/\(world.orderA)", nil) }, expected: ownOrderA, label: "get broker A's order")],
        "GET /v1/orders/{id}/explain": [Cell(request: { world, _ in ("/v1/orders/\(world.orderA)/explain", nil) }, expected: ownOrderA,
                                             label: "explain broker A's order")],
        "POST /v1/orders/{id}/cancel": [Cell(request: { world, _ in ("/v1/orders/\(world.cancellableA)/cancel", nil) }, expected: ownOrderA,
                                             label: "cancel broker A's order")],
    ]

    @Test func everyRoleOnEveryRoute() async throws {
        let api = try await FactoryAPIFixture.start()
        let served = api.server.app.routes.map { "\($0.method.rawValue) \($0.path)" }
        // The matrix covers exactly the routes the router serves.
        #expect(Set(served).subtracting(Self.cells.keys).sorted() == [], "routes without a row in the matrix")
        #expect(Set(Self.cells.keys).subtracting(served).sorted() == [], "rows for routes the router does not serve")

        let world = try await Self.makeWorld(api)
        let keys: [Actor: String] = [
            .admin: api.adminKey,
            .factoryA: try await api.factoryKey(world.factoryA),
            .factoryB: try await api.factoryKey(world.factoryB),
            .brokerA: try await api.createKey(#"{"role":"broker","broker_id":"\#(world.brokerA)"}"#).secret,
            .brokerB: try await api.createKey(#"{"role":"broker","broker_id":"\#(try await api.createBroker(name: "B"))"}"#).secret,
        ]
        let client = try api.server.client()
        for route in served {
            let method = String(route.split(separator: " ")[0])
            for cell in Self.cells[route] ?? [] {
                for actor in Actor.allCases {
                    var (path, body) = cell.request(world, actor)
                    if path.contains("{fresh-key}") {
                        path = path.replacingOccurrences(of: "{fresh-key}", with: try await api.createKey(#"{"role":"admin"}"#).id)
                    }
                    var headers: [String: String] = [:]
                    if let key = keys[actor] { headers["Authorization"] = "Bearer \(key)" }
                    var bytes = Array((body ?? "").utf8)
                    if body != nil { headers["Content-Type"] = "application/json" }
                    switch cell.auth {
                    case .bearer:
                        break
                    case .dashboardSession:
                        if actor == .admin, let token = try await DashboardTests.signIn(api.server, key: api.adminKey).1 {
                            headers["Cookie"] = "weft_session=\(token)"
                        }
                    case .loginForm:
                        headers = ["Content-Type": "application/x-www-form-urlencoded"]
                        let key = keys[actor] ?? ""
                        bytes = Array("key=\(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&next=%2Fdashboard".utf8)
                    }
                    let response = try await client.send(method, path, headers: headers, body: bytes)
                    #expect(response.status == cell.expected[actor],
                            "\(route) (\(cell.label)) as \(actor): \(response.status) \(response.text.prefix(300))")
                    if path.hasPrefix("/v1/"), response.status >= 400 {
                        #expect(response.isProblem, "\(route) (\(cell.label)) as \(actor) must answer problem+json")
                    }
                }
            }
        }

        // Only the allowed writes landed: the last allowed patch of A was A's own, of B B's own.
        let a = try await api.admin("GET", "/v1/factories/\(world.factoryA)")
        let b = try await api.admin("GET", "/v1/factories/\(world.factoryB)")
        #expect(a.json["name"] as? String == "by factoryA")
        #expect(b.json["name"] as? String == "by factoryB")
        let slotsA = try await api.admin("GET", "/v1/factories/\(world.factoryA)/capacity?from=2030-01-01&to=2030-01-01")
        let slotsB = try await api.admin("GET", "/v1/factories/\(world.factoryB)/capacity?from=2030-01-01&to=2030-01-01")
        #expect((slotsA.json["slots"] as? [[String: Any]])?.first?["units"] as? Int == 2) // factory A's PUT
        #expect((slotsB.json["slots"] as? [[String: Any]])?.first?["units"] as? Int == 3) // factory B's PUT
        // Factories, brokers and orders were created by those allowed to, and no one else.
        // (A and B carry their own last patches; the third is the admin's new factory.)
        let names = try await api.server.pool.query("SELECT name FROM factories ORDER BY name").map { try $0.decode(String.self, 0) }
        #expect(names == ["by admin", "by factoryA", "by factoryB"])
        let brokerNames = try await api.server.pool.query("SELECT name FROM brokers WHERE name LIKE 'by %'").map { try $0.decode(String.self, 0) }
        #expect(brokerNames == ["by admin"])
        let references = try await api.server.pool.query("SELECT reference FROM orders WHERE reference LIKE 'by %' ORDER BY reference")
            .map { try $0.decode(String.self, 0) }
        #expect(references == ["by admin", "by brokerA", "by brokerB"])
        try await api.stop()
    }

    /// Two factories with capacity, broker A with two orders placed in factory A, a finished dry run.
    static func makeWorld(_ api: FactoryAPIFixture) async throws -> World {
        let factoryA = try await api.createFactory(name: "A")
        let factoryB = try await api.createFactory(name: "B")
        let brokerA = try await api.createBroker(name: "A")
        let today = NetworkFixture.today
        let soon = (3...5).map { (capability: "pcb.fab", date: today.adding(days: $0).iso, units: 100, cost: 10) }
        let put = try await api.admin("PUT", "/v1/factories/\(factoryA)/capacity", json: slotsBody(soon.map { ($0.capability, $0.date, $0.units, $0.cost) }))
        try #require(put.status == 200, "\(put.text)")
        let due = today.adding(days: 20).iso
        var orders: [String] = []
        var allocation = ""
        for reference in ["setup 1", "setup 2"] {
            let order = try await api.admin("POST", "/v1/orders", json: """
                {"broker_id":"\(brokerA)","capability":"pcb.fab","quantity":5,"due_date":"\(due)","reference":"\(reference)"}
                """)
            try #require(order.status == 201, "\(order.text)")
            orders.append(try #require(order.json["id"] as? String))
            let allocations = try #require(order.json["allocations"] as? [[String: Any]])
            if allocation.isEmpty { allocation = try #require(allocations.first?["id"] as? String) }
        }
        let run = try await api.admin("POST", "/v1/schedule-runs", json: #"{"dry_run":true,"time_limit_ms":100}"#)
        try #require(run.status == 202, "\(run.text)")
        let runID = try #require(run.json["id"] as? String)
        // Wait for it to finish, so that the run the matrix starts has the capability to itself.
        var status = "running"
        while status == "running" {
            try await Task.sleep(for: .milliseconds(50))
            status = try await api.admin("GET", "/v1/schedule-runs/\(runID)").json["status"] as? String ?? "?"
        }
        return World(factoryA: factoryA, factoryB: factoryB, brokerA: brokerA, orderA: orders[0], cancellableA: orders[1],
                     allocationA: allocation, runID: runID, dueDate: due)
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
        for suffix in ["", "/capacity", "/batches"] {
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
