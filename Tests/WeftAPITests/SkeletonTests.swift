import Foundation
import Testing
import WeftAPI
import WeftHTTP
import WeftStore
import WeftTestSupport

@Suite("Walking skeleton, end to end on a real PostgreSQL")
struct SkeletonTests {
    @Test func healthAndReadiness() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        let health = try await client.send("GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        #expect(health.header("X-Request-Id")?.isEmpty == false)
        let ready = try await client.send("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
        #expect((ready.json["migrations_pending"] as? [Any])?.isEmpty == true)
        try await server.stop()
    }

    @Test func notReadyWithoutMigrations() async throws {
        let server = try await TestServer.start(migrated: false)
        let response = try await server.client().send("GET", "/readyz")
        #expect(response.status == 503)
        #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect((response.json["detail"] as? String)?.contains("weft migrate") == true)
        try await server.stop()
    }

    @Test func notReadyWhenTheDatabaseIsGone() async throws {
        let server = try await TestServer.start()
        let admin = try PostgresConnection.connect(try TestDatabase.adminURL)
        let name = try await server.pool.query("SELECT current_database()")[0].decode(String.self, 0)
        try admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
        try admin.execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        let client = try server.client()
        let response = try await client.send("GET", "/readyz")
        #expect(response.status == 503)
        #expect(response.header("Retry-After") != nil)
        // Liveness does not depend on the database.
        #expect(try await client.send("GET", "/healthz").status == 200)
        try admin.execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        #expect(try await client.send("GET", "/readyz").status == 200)
        try await server.stop()
    }

    @Test func problemsForUnknownRoutesMethodsAndOversizedBodies() async throws {
        var http = HTTPServerConfiguration()
        http.maxBodySize = 1024
        let server = try await TestServer.start(http: http)
        let client = try server.client()
        let missing = try await client.send("GET", "/nope")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(missing.json["status"] as? Int == 404)
        let wrongMethod = try await client.send("POST", "/healthz")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow")?.contains("GET") == true)
        let tooLarge = try await server.client().send("POST", "/healthz", body: [UInt8](repeating: 65, count: 4096))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        try await server.stop()
    }

    @Test func v1NeedsAValidKey() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        for headers in [[:], ["Authorization": "Bearer nope"], ["Authorization": "Basic abc"],
                        ["Authorization": "Bearer wft_aaaaaaaaaa_bbbbbbbbbbbbbbbbbbbb"]] {
            let response = try await client.send("GET", "/v1/factories", headers: headers)
            #expect(response.status == 401, "headers \(headers)")
            #expect(response.header("WWW-Authenticate") == "Bearer")
            #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        }
        // Unknown /v1 paths also answer 401 without a key: nothing about the API leaks.
        #expect(try await client.send("GET", "/v1/no-such-thing").status == 401)

        let key = try await server.issueKey(role: .admin)
        let authorised = try await client.send("GET", "/v1/no-such-thing", headers: ["Authorization": "Bearer \(key)"])
        #expect(authorised.status == 404)

        // A key that differs from a real one only after the prefix is refused.
        var forged = Array(key)
        forged[forged.count - 1] = forged.last == "a" ? "b" : "a"
        #expect(try await client.send("GET", "/v1/x", headers: ["Authorization": "Bearer \(String(forged))"]).status == 401)

        // Revoked in the database behind the server's back: refused once the server's copy of
        // the key expires (APIKeyCache, 0.5 s), and from then on.
        try await server.pool.query("UPDATE api_keys SET revoked_at = now()")
        let seen = try await APIKeyCacheTests.pollUntilRefused(server, "/v1/api-keys", key: key, since: ContinuousClock().now)
        #expect(seen.last == 401)
        #expect(try await client.send("GET", "/v1/no-such-thing", headers: ["Authorization": "Bearer \(key)"]).status == 401)
        try await server.stop()
    }

    @Test func keysAreStoredAsDigests() async throws {
        let server = try await TestServer.start()
        let key = try await server.issueKey(role: .admin)
        let row = try await server.pool.query("SELECT prefix, secret_hash FROM api_keys")[0]
        let stored = try row.decode(Bytes.self, 1).bytes
        #expect(stored.count == 32)
        #expect(stored == sha256(Array(key.utf8)))
        #expect(!String(decoding: stored, as: UTF8.self).contains(key))
        #expect(key.contains(try row.decode(String.self, 0)))
        try await server.stop()
    }

    @Test func servesItsOpenAPIDocument() async throws {
        let server = try await TestServer.start()
        let response = try await server.client().send("GET", "/openapi.yaml")
        #expect(response.status == 200)
        #expect(response.text.hasPrefix("openapi: 3.1"))
        #expect(response.header("Content-Type")?.hasPrefix("application/yaml") == true)
        try await server.stop()
    }
}
