import Foundation
import Testing
import WeftAPI

@Suite("docs/openapi.yaml matches the router")
struct OpenAPIRoutesTests {
    /// (METHOD path) pairs under `paths:` in the document, read line by line: paths sit at two
    /// spaces of indentation and their operations at four.
    static func documentedRoutes(_ yaml: String) -> Set<String> {
        var routes = Set<String>()
        var inPaths = false
        var currentPath: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line == "paths:"; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                      let path = currentPath, methods.contains(String(line.dropFirst(4).dropLast())) {
                routes.insert("\(line.dropFirst(4).dropLast().uppercased()) \(path)")
            }
        }
        return routes
    }

    @Test func documentListsExactlyTheServedRoutes() async throws {
        let yaml = try #require(OpenAPIDocument.load())
        let server = try await TestServer.start()
        let served = Set(server.app.routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = Self.documentedRoutes(yaml)
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        try await server.stop()
    }

    @Test func docsCopyIsTheServedCopy() throws {
        // docs/openapi.yaml links to the bundled file; make sure nobody replaced the link with a fork.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        #expect(docs == OpenAPIDocument.load())
    }
}
