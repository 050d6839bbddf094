import Foundation
import Logging
import Testing
import WeftAPI
import WeftStore
import WeftTestSupport

/// Each process keeps the keys it has seen valid for a short while (APIKeyCache); these tests
/// hold it to what it promises: a revoked key stops working on every instance within a second,
/// and nothing but the database decides what a key may do.
@Suite("API key cache: revocation across instances, digests always compared")
struct APIKeyCacheTests {
    /// Sends `GET path` with `key` to `server` until it is refused, and returns the statuses
    /// seen. Gives up after `limit`; requests sent `bound` or more after `since` must be refused.
    static func pollUntilRefused(_ server: TestServer, _ path: String, key: String, since: ContinuousClock.Instant,
                                 bound: Duration = .seconds(1), limit: Duration = .seconds(10)) async throws -> [Int] {
        let clock = ContinuousClock()
        var statuses: [Int] = []
        while true {
            let sent = clock.now
            let status = try await server.client().send("GET", path, headers: ["Authorization": "Bearer \(key)"]).status
            statuses.append(status)
            if status == 401 { return statuses }
            #expect(status == 200, "unexpected status \(status)")
            // The correctness bound the cache promises (0.5 s, with room): a request sent this
            // late after the revocation was committed must be refused.
            #expect(since.duration(to: sent) < bound, "a request sent \(since.duration(to: sent)) after the revocation was still served")
            if since.duration(to: sent) >= limit { return statuses }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func aKeyRevokedOnOneInstanceIsRefusedByBothWithinASecond() async throws {
        let (poolA, url) = try await TestDatabase.migratedPool()
        let poolB = PostgresPool(configuration: .init(connectionString: url, maxConnections: 4))
        let a = try await ScaleOutTests.instance(url: url, pool: poolA)
        let b = try await ScaleOutTests.instance(url: url, pool: poolB)
        let broker = UUID(uuidString: try await poolA.query("INSERT INTO brokers (name) VALUES ('B') RETURNING id::text")[0].decode(String.self, 0))!
        let admin = try await a.issueKey(role: .admin)
        let key = try await a.issueKey(role: .broker, brokerID: broker)
        let keyID = try await poolA.query("SELECT id::text FROM api_keys WHERE role = 'broker'")[0].decode(String.self, 0)

        // Both instances accept the key and now hold it in their caches.
        for server in [a, b] {
            for _ in 0..<3 {
                #expect(try await server.client().send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(key)"]).status == 200)
            }
        }

        let revoke = try await a.client().send("DELETE", "/v1/api-keys/\(keyID)", headers: ["Authorization": "Bearer \(admin)"])
        #expect(revoke.status == 204)
        let revokedAt = ContinuousClock().now
        // The instance that revoked it refuses it at once.
        #expect(try await a.client().send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(key)"]).status == 401)
        // The other one within the bound, and then for good.
        let seen = try await Self.pollUntilRefused(b, "/v1/orders", key: key, since: revokedAt)
        #expect(seen.last == 401)
        for _ in 0..<5 {
            #expect(try await b.client().send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(key)"]).status == 401)
        }
        // The admin key was never revoked and still works on both.
        for server in [a, b] {
            #expect(try await server.client().send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        }
        try await a.stop()
        try await b.stop()
    }

    @Test func aKeyRevokedInTheDatabaseBehindTheServersBackIsRefusedWithinASecond() async throws {
        let server = try await TestServer.start()
        let key = try await server.issueKey(role: .admin)
        #expect(try await server.client().send("GET", "/v1/api-keys", headers: ["Authorization": "Bearer \(key)"]).status == 200)
        try await server.pool.query("UPDATE api_keys SET revoked_at = now()")
        let seen = try await Self.pollUntilRefused(server, "/v1/api-keys", key: key, since: ContinuousClock().now)
        #expect(seen.last == 401)
        // Deleting the row works the same way as revoking it.
        let other = try await server.issueKey(role: .admin)
        #expect(try await server.client().send("GET", "/v1/api-keys", headers: ["Authorization": "Bearer \(other)"]).status == 200)
        try await server.pool.query("DELETE FROM api_keys")
        #expect(try await Self.pollUntilRefused(server, "/v1/api-keys", key: other, since: ContinuousClock().now).last == 401)
        try await server.stop()
    }

    @Test func aCachedKeysPrefixWithAnotherSecretIsRefusedAndRoleAndScopeAreTheRows() async throws {
        let server = try await TestServer.start()
        let factory = UUID(uuidString: try await server.pool.query(
            "INSERT INTO factories (name, region, lead_days) VALUES ('F', 'CN-GD', 1) RETURNING id::text")[0].decode(String.self, 0))!
        let other = UUID(uuidString: try await server.pool.query(
            "INSERT INTO factories (name, region, lead_days) VALUES ('G', 'CN-GD', 1) RETURNING id::text")[0].decode(String.self, 0))!
        let key = try await server.issueKey(role: .factory, factoryID: factory)
        let auth = { (secret: String) in ["Authorization": "Bearer \(secret)"] }
        // Cached now, as a factory key for F only.
        #expect(try await server.client().send("GET", "/v1/factories/\(factory.uuidString)", headers: auth(key)).status == 200)
        #expect(try await server.client().send("GET", "/v1/factories/\(other.uuidString)", headers: auth(key)).status == 404)
        #expect(try await server.client().send("GET", "/v1/api-keys", headers: auth(key)).status == 403)

        // The same prefix with any other secret is refused, however warm the cache.
        for position in [key.count - 1, key.count - 20] {
            var forged = Array(key)
            forged[position] = forged[position] == "a" ? "b" : "a"
            let response = try await server.client().send("GET", "/v1/factories/\(factory.uuidString)", headers: auth(String(forged)))
            #expect(response.status == 401)
        }
        // Nothing the client adds changes who it is.
        let spoofed = try await server.client().send("GET", "/v1/api-keys",
                                                     headers: ["Authorization": "Bearer \(key)", "X-Role": "admin", "X-Factory-Id": other.uuidString])
        #expect(spoofed.status == 403)
        #expect(try await server.client().send("GET", "/v1/factories/\(factory.uuidString)", headers: auth(key)).status == 200)
        try await server.stop()
    }
}

@Suite("API key cache: a key in use costs no read per request")
struct APIKeyCacheReadTests {
    @Test func requestsWithAWarmKeyDoNotReadIt() async throws {
        var logger = Logger(label: "weft.test.key-cache")
        logger.logLevel = .warning
        let (pool, url) = try await TestDatabase.migratedPool()
        // Entries that never go stale within the test: every request after the first is served from the copy.
        let cache = APIKeyCache(maxAge: .seconds(3600), refreshAge: .seconds(3600))
        let app = WeftApp(context: AppContext(pool: pool, migrations: MigrationRunner(migrations: try MigrationRunner.bundled(), logger: logger),
                                              configuration: AppConfiguration(), logger: logger, apiKeys: cache))
        let server = try await TestServer.serve(app, databaseURL: url, logger: logger)
        let key = try await server.issueKey(role: .admin)
        for _ in 0..<20 {
            #expect(try await server.client().send("GET", "/v1/api-keys", headers: ["Authorization": "Bearer \(key)"]).status == 200)
        }
        #expect(cache.reads == 1)
        // Unknown keys are read each time (nothing is kept for them) and refused.
        let unknown = try APIKeySecret.generate().text
        for _ in 0..<3 {
            #expect(try await server.client().send("GET", "/v1/api-keys", headers: ["Authorization": "Bearer \(unknown)"]).status == 401)
        }
        #expect(cache.reads == 4)
        try await server.stop()
    }
}
