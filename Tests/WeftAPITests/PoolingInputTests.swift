import Foundation
import Testing
import WeftCore
import WeftStore
import WeftTestSupport

/// Order pooling's inputs through the API: batch terms per factory capability and a pool per
/// order. Bad values are 422 naming the field with nothing written; good ones are stored,
/// returned, and move the capability's generation (the placement copy must see them).
@Suite("Pooling inputs: batch_cost, batch_units, pool")
struct PoolingInputTests {
    @Test func badBatchTermsAndPoolsAre422NamingTheFieldAndWriteNothing() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(capabilities: ["pcb.fab": 100])
        let cases: [(method: String, path: String, body: String, errors: [(String, String)])] = [
            ("POST", "/v1/factories", """
                {"name":"F","region":"DE","lead_days":1,"capabilities":[
                  {"capability":"pcb.fab","setup_cost":1,"batch_cost":-1,"batch_units":0},
                  {"capability":"cnc.milling","setup_cost":1,"batch_cost":2.5,"batch_units":1.5},
                  {"capability":"sewing","setup_cost":1,"batch_cost":"9","batch_units":"10"},
                  {"capability":"weaving","setup_cost":1,"batch_cost":null,"batch_units":-4}]}
                """, [
                    ("capabilities[0].batch_cost", "whole number of minor currency units"),
                    ("capabilities[0].batch_units", "must be a whole number between 1 and 1000000000"),
                    ("capabilities[1].batch_cost", "whole number of minor currency units"),
                    ("capabilities[1].batch_units", "must be a whole number between 1 and 1000000000"),
                    ("capabilities[2].batch_cost", "whole number of minor currency units"),
                    ("capabilities[2].batch_units", "must be a whole number"),
                    ("capabilities[3].batch_cost", "must not be null"),
                    ("capabilities[3].batch_units", "must be a whole number between 1 and 1000000000"),
                ]),
            ("PATCH", "/v1/factories/\(factory)", #"{"capabilities":[{"capability":"pcb.fab","setup_cost":1,"batch_units":0,"batch_size":3}]}"#, [
                ("capabilities[0].batch_units", "between 1 and 1000000000"), ("capabilities[0].batch_size", "unknown field"),
            ]),
        ]
        for item in cases {
            let response = try await api.admin(item.method, item.path, json: item.body)
            #expect(response.status == 422, "\(item.method) \(item.path): \(response.text)")
            for (field, message) in item.errors {
                #expect(response.hasError(field, message), "no error \(field): \(message) in \(response.fieldErrors)")
            }
            #expect(response.fieldErrors.count == item.errors.count, "\(response.fieldErrors)")
        }
        // Nothing half-written: one factory, its capability unchanged.
        #expect(try await api.server.pool.query("SELECT count(*) FROM factories")[0].decode(Int.self, 0) == 1)
        let stored = try await api.server.pool.query("SELECT setup_cost, batch_cost, batch_units FROM factory_capabilities")
        #expect(stored.count == 1)
        #expect(try stored[0].decode(Int64.self, 0) == 100 && stored[0].decode(Int64.self, 1) == 0 && stored[0].isNull(2))
        try await api.stop()
    }

    @Test func batchTermsAreStoredReturnedAndMoveTheGeneration() async throws {
        let api = try await FactoryAPIFixture.start()
        let created = try await api.admin("POST", "/v1/factories", json: """
            {"name":"Panel house","region":"CN-GD","lead_days":1,"capabilities":[
              {"capability":"pcb.fab","setup_cost":100,"batch_cost":5000,"batch_units":40},
              {"capability":"pcb.assembly","setup_cost":7}]}
            """)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? String)
        let capabilities = try #require(created.json["capabilities"] as? [[String: Any]])
        #expect(capabilities.count == 2)
        // Sorted by capability: assembly (defaults: 0 and unlimited, as an explicit null), then fab.
        #expect(capabilities[0]["batch_cost"] as? Int == 0)
        #expect(capabilities[0].keys.contains("batch_units") && capabilities[0]["batch_units"] is NSNull)
        #expect(capabilities[1]["batch_cost"] as? Int == 5000 && capabilities[1]["batch_units"] as? Int == 40)

        func generation() async throws -> Int64 {
            try await api.server.pool.query("SELECT coalesce((SELECT generation FROM capability_generations WHERE capability = 'pcb.fab'), 0)")[0]
                .decode(Int64.self, 0)
        }
        let before = try await generation()
        // The same figures again change nothing and move nothing.
        let same = try await api.admin("PATCH", "/v1/factories/\(id)", json: """
            {"capabilities":[{"capability":"pcb.fab","setup_cost":100,"batch_cost":5000,"batch_units":40},{"capability":"pcb.assembly","setup_cost":7}]}
            """)
        #expect(same.status == 200)
        #expect(try await generation() == before)
        // A new batch cost moves it; so does a new batch size, and null (unlimited).
        for (body, cost, units) in [(#""batch_cost":6000,"batch_units":40"#, 6000, 40 as Int?), (#""batch_cost":6000,"batch_units":50"#, 6000, 50),
                                    (#""batch_cost":6000,"batch_units":null"#, 6000, nil)] {
            let previous = try await generation()
            let patched = try await api.admin("PATCH", "/v1/factories/\(id)", json: """
                {"capabilities":[{"capability":"pcb.fab","setup_cost":100,\(body)},{"capability":"pcb.assembly","setup_cost":7}]}
                """)
            #expect(patched.status == 200, "\(patched.text)")
            let fab = try #require((patched.json["capabilities"] as? [[String: Any]])?.last)
            #expect(fab["batch_cost"] as? Int == cost)
            #expect(fab["batch_units"] as? Int == units)
            #expect(try await generation() > previous, "\(body)")
        }
        let read = try await api.admin("GET", "/v1/factories/\(id)")
        #expect(((read.json["capabilities"] as? [[String: Any]])?.last?["batch_cost"] as? Int) == 6000)
        try await api.stop()
    }

    @Test func ordersCarryTheirPoolWhichNeverChanges() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 100, 10)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let due = NetworkFixture.today.adding(days: 5)
        func post(_ path: String, _ extra: String) async throws -> TestHTTPClient.Response {
            try await client.send("POST", path, headers: ["Authorization": "Bearer \(key)"],
                                  json: #"{"capability":"pcb.fab","quantity":5,"due_date":"\#(due)"\#(extra)}"#)
        }
        for path in ["/v1/orders", "/v1/quotes"] {
            for (extra, message) in [(#","pool":"FR4""#, "must be a pool code"), (#","pool":"fr4..hasl""#, "must be a pool code"),
                                     (#","pool":"\#(String(repeating: "a", count: 65))""#, "64 characters or fewer"),
                                     (#","pool":7"#, "must be a pool code"), (#","pool":"""#, "must be a pool code")] {
                let refused = try await post(path, extra)
                #expect(refused.status == 422, "\(path) \(extra): \(refused.text)")
                #expect(refused.hasError("pool", message), "\(path) \(extra): \(refused.fieldErrors)")
                #expect(refused.fieldErrors.count == 1)
            }
        }
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 0)

        let pooled = try await post("/v1/orders", #","pool":"fr4.2l.hasl""#)
        #expect(pooled.status == 201, "\(pooled.text)")
        #expect(pooled.json["pool"] as? String == "fr4.2l.hasl")
        let id = try #require(pooled.json["id"] as? String)
        let fetched = try await client.send("GET", "/v1/orders/\(id)", headers: ["Authorization": "Bearer \(key)"])
        #expect(fetched.json["pool"] as? String == "fr4.2l.hasl")
        let alone = try await post("/v1/orders", #","pool":null"#)
        #expect(alone.status == 201 && alone.json["pool"] == nil)
        // The database keeps an order's pool as it was, whatever the writer.
        await #expect(throws: PostgresError.self) {
            try await server.pool.query("UPDATE orders SET pool = 'other' WHERE id = $1", UUID(uuidString: id)!)
        }
        await #expect(throws: PostgresError.self) {
            try await server.pool.query("UPDATE orders SET pool = 'late' WHERE id = $1", UUID(uuidString: alone.json["id"] as! String)!)
        }
        #expect(try await server.pool.query("SELECT pool FROM orders WHERE id = $1", UUID(uuidString: id)!)[0].decode(String.self, 0) == "fr4.2l.hasl")
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
