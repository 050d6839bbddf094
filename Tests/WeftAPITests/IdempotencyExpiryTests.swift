import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Idempotency keys: same content, expiry, purge")
struct IdempotencyExpiryTests {
    static func body(quantity: Int, due: Day, spaced: Bool) -> String {
        spaced
            ? "{ \"due_date\" : \"\(due)\",\n  \"quantity\": \(quantity).0,  \"capability\": \"pcb.fab\" }"
            : "{\"capability\":\"pcb.fab\",\"quantity\":\(quantity),\"due_date\":\"\(due)\"}"
    }

    @Test func sameContentInAnotherOrderIsTheSameRequest() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 100, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let due = NetworkFixture.today.adding(days: 3)
        let headers = ["Authorization": "Bearer \(key)", "Idempotency-Key": "reordered"]
        let first = try await client.send("POST", "/v1/orders", headers: headers, json: Self.body(quantity: 10, due: due, spaced: false))
        #expect(first.status == 201)
        // Members reordered, spaces and a newline added, 10 written as 10.0: the same order.
        let retry = try await client.send("POST", "/v1/orders", headers: headers, json: Self.body(quantity: 10, due: due, spaced: true))
        #expect(retry.status == 201)
        #expect(retry.header("Idempotent-Replayed") == "true")
        #expect(retry.body == first.body)
        // Other content in the same layout: refused.
        let other = try await client.send("POST", "/v1/orders", headers: headers, json: Self.body(quantity: 11, due: due, spaced: true))
        #expect(other.status == 422)
        #expect(other.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 1)
        try await server.stop()
    }

    @Test func anExpiredKeyMayBeUsedAgainAndExpiredRowsArePurged() async throws {
        let server = try await TestServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 100, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let due = NetworkFixture.today.adding(days: 3)
        let headers = ["Authorization": "Bearer \(key)", "Idempotency-Key": "reused-later"]
        let first = try await client.send("POST", "/v1/orders", headers: headers, json: Self.body(quantity: 10, due: due, spaced: false))
        #expect(first.status == 201)
        let expiry = try await server.pool.query(
            "SELECT extract(epoch FROM expires_at - created_at)::int FROM idempotency_keys WHERE key = 'reused-later'")[0].decode(Int.self, 0)
        #expect(expiry == 86_400)
        // A day later (the row made to look so): the key is free again, even for another body.
        try await server.pool.query("UPDATE idempotency_keys SET created_at = created_at - interval '25 hours', expires_at = expires_at - interval '25 hours'")
        let again = try await client.send("POST", "/v1/orders", headers: headers, json: Self.body(quantity: 11, due: due, spaced: false))
        #expect(again.status == 201)
        #expect(again.header("Idempotent-Replayed") == nil)
        #expect(again.json["id"] as? String != first.json["id"] as? String)
        // ... and now it replays the second order.
        let replay = try await client.send("POST", "/v1/orders", headers: headers, json: Self.body(quantity: 11, due: due, spaced: false))
        #expect(replay.header("Idempotent-Replayed") == "true")
        #expect(replay.body == again.body)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 2)

        // Expired records of other keys were purged on the way (the first keyed order of a process purges).
        let fresh = try await TestServer.serve(WeftApp(context: AppContext(
            pool: server.pool, migrations: server.app.context.migrations, configuration: AppConfiguration(), logger: server.app.context.logger)),
            databaseURL: server.databaseURL, logger: server.app.context.logger)
        try await server.pool.query("""
            INSERT INTO idempotency_keys (tenant, key, request_hash, response_status, response_body, created_at, expires_at)
            SELECT 'admin', 'old-' || n, '\\x00', 201, '\\x7b7d', now() - interval '3 days', now() - interval '2 days'
              FROM generate_series(1, 30) n
            """)
        let kept = try await fresh.client().send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)", "Idempotency-Key": "new"],
                                                 json: Self.body(quantity: 1, due: due, spaced: false))
        #expect(kept.status == 201)
        #expect(try await server.pool.query("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'old-%'")[0].decode(Int.self, 0) == 0)
        #expect(try await server.pool.query("SELECT count(*) FROM idempotency_keys")[0].decode(Int.self, 0) == 2)
        try await fresh.stopServing()
        try await server.stop()
    }

    @Test func theTimeToLiveIsConfigurable() async throws {
        let server = try await TestServer.start(configuration: AppConfiguration(idempotencyTTLSeconds: 600))
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "A", slots: [(1, 100, 5)])])
        let key = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let response = try await server.client().send("POST", "/v1/orders", headers: ["Authorization": "Bearer \(key)", "Idempotency-Key": "k"],
                                                      json: Self.body(quantity: 1, due: NetworkFixture.today.adding(days: 3), spaced: false))
        #expect(response.status == 201)
        let expiry = try await server.pool.query("SELECT extract(epoch FROM expires_at - created_at)::int FROM idempotency_keys")[0].decode(Int.self, 0)
        #expect(expiry == 600)
        try await server.stop()
    }
}
