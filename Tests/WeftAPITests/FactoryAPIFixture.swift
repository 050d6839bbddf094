import Foundation
import Testing
import WeftAPI
import WeftTestSupport

/// A running server with an admin key, and shortcuts for the factory-side routes: tests of
/// keys, brokers, factories and capacity go through the API exactly as clients do.
struct FactoryAPIFixture {
    let server: TestServer
    let adminKey: String
    private let connection: TestHTTPClient

    static func start() async throws -> FactoryAPIFixture {
        let server = try await TestServer.start()
        return FactoryAPIFixture(server: server, adminKey: try await server.issueKey(role: .admin), connection: try server.client())
    }

    func stop() async throws { try await server.stop() }

    /// Sends a request with `key` as bearer (none when nil) on the fixture's connection.
    func send(_ method: String, _ path: String, key: String?, json: String? = nil) async throws -> TestHTTPClient.Response {
        try await send(method, path, key: key, json: json, on: connection)
    }

    /// The same on another connection (concurrent requests).
    func send(_ method: String, _ path: String, key: String?, json: String? = nil, on client: TestHTTPClient) async throws -> TestHTTPClient.Response {
        var headers: [String: String] = [:]
        if let key { headers["Authorization"] = "Bearer \(key)" }
        if let json { return try await client.send(method, path, headers: headers, json: json) }
        return try await client.send(method, path, headers: headers)
    }

    /// Sends as admin.
    func admin(_ method: String, _ path: String, json: String? = nil) async throws -> TestHTTPClient.Response {
        try await send(method, path, key: adminKey, json: json)
    }

    /// Creates a factory through the API; returns its id.
    func createFactory(name: String = "Shenzhen PCB 1", region: String = "CN-GD", capabilities: [String: Int64] = ["pcb.fab": 5000],
                       active: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let caps = capabilities.sorted { $0.key < $1.key }.map { #"{"capability":"\#($0.key)","setup_cost":\#($0.value)}"# }
        let response = try await admin("POST", "/v1/factories", json: """
            {"name":"\(name)","region":"\(region)","lead_days":2,"capabilities":[\(caps.joined(separator: ","))],"active":\(active)}
            """)
        try #require(response.status == 201, "create factory: \(response.text)", sourceLocation: sourceLocation)
        return try #require(response.json["id"] as? String, sourceLocation: sourceLocation)
    }

    /// Creates a broker through the API; returns its id.
    func createBroker(name: String = "Broker") async throws -> String {
        let response = try await admin("POST", "/v1/brokers", json: #"{"name":"\#(name)"}"#)
        try #require(response.status == 201, "create broker: \(response.text)")
        return try #require(response.json["id"] as? String)
    }

    /// Issues a key through the API; returns (id, secret).
    func createKey(_ body: String) async throws -> (id: String, secret: String) {
        let response = try await admin("POST", "/v1/api-keys", json: body)
        try #require(response.status == 201, "create key: \(response.text)")
        return (try #require(response.json["id"] as? String), try #require(response.json["secret"] as? String))
    }

    func factoryKey(_ factoryID: String) async throws -> String {
        try await createKey(#"{"role":"factory","factory_id":"\#(factoryID)"}"#).secret
    }
}

/// `{"slots":[...]}` for (capability, date, units, unit_cost) tuples.
func slotsBody(_ slots: [(String, String, Int, Int)]) -> String {
    #"{"slots":["# + slots.map { #"{"capability":"\#($0.0)","date":"\#($0.1)","units":\#($0.2),"unit_cost":\#($0.3)}"# }
        .joined(separator: ",") + "]}"
}

extension TestHTTPClient.Response {
    /// `errors` of a problem document as (field, message) pairs.
    var fieldErrors: [(field: String, message: String)] {
        (json["errors"] as? [[String: Any]] ?? []).map { ($0["field"] as? String ?? "?", $0["message"] as? String ?? "?") }
    }

    /// Whether `errors` has an entry for `field` whose message contains `message`.
    func hasError(_ field: String, _ message: String) -> Bool {
        fieldErrors.contains { $0.field == field && $0.message.contains(message) }
    }

    /// `items` of a list page.
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }

    var isProblem: Bool { header("Content-Type")?.hasPrefix("application/problem+json") == true }
}
