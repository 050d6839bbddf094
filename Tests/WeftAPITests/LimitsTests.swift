import Foundation
import Testing
import WeftAPI
import WeftHTTP
import WeftTestSupport

/// Each limit of the full app answers its own status (the HTTP layer's own tests cover the
/// edge cases; these check the limits hold in front of the API with its defaults).
@Suite("Limits in front of the API")
struct LimitsTests {
    @Test func oversizedBodyIs413() async throws {
        let server = try await ObservedServer.start()
        let key = try await server.issueKey(role: .admin)
        let client = try server.client()
        try await client.writeRaw(Array("POST /v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\nContent-Length: \(8 * 1024 * 1024 + 1)\r\n\r\n".utf8))
        let response = try await client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(try await server.client().send("GET", "/healthz").status == 200)
        try await server.stop()
    }

    @Test func oversizedHeadIs431() async throws {
        let server = try await ObservedServer.start()
        let client = try server.client()
        let response = try await client.send("GET", "/v1/orders", headers: ["X-Padding": String(repeating: "p", count: 70 * 1024)])
        #expect(response.status == 431)
        let many = Dictionary(uniqueKeysWithValues: (0..<6000).map { ("X-H\($0)", "vvvvvvvv") })
        #expect(try await server.client().send("GET", "/v1/orders", headers: many).status == 431)
        #expect(try await server.client().send("GET", "/healthz").status == 200)
        try await server.stop()
    }

    @Test func slowRequestIs408() async throws {
        var http = HTTPServerConfiguration()
        http.requestReadTimeout = .milliseconds(500)
        let server = try await ObservedServer.start(http: http)
        let client = try server.client()
        try await client.writeRaw(Array("POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"cap".utf8))
        #expect(try await client.readResponse().status == 408)
        try await server.stop()
    }

    @Test func connectionsBeyondTheCapAreClosed() async throws {
        var http = HTTPServerConfiguration()
        http.maxConnections = 1
        let server = try await ObservedServer.start(http: http)
        let first = try server.client()
        #expect(try await first.send("GET", "/healthz").status == 200)
        let second = try server.client()
        await #expect(throws: (any Error).self) { _ = try await second.send("GET", "/healthz") }
        #expect(try await first.send("GET", "/healthz").status == 200)
        try await server.stop()
    }
}
