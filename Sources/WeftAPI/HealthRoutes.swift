import Foundation
import NIOHTTP1
import WeftHTTP
import WeftStore

/// `GET /healthz` (the process is up) and `GET /readyz` (the database answers and its
/// migrations are the ones this build expects): what load balancers and orchestrators poll.
struct HealthRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        builder.on(.GET, "/healthz") { _ in
            Response(status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: Self.healthy)
        }
        builder.on(.GET, "/readyz") { request in
            try await ready(request)
        }
    }

    /// `GET /healthz`'s body, the same every time: encoded once.
    static let healthy = Array(#"{"status":"ok"}"#.utf8)

    struct Readiness: Encodable {
        var status: String
        var database: String
        var migrationsApplied: [Int]
        var migrationsPending: [Int]
    }

    private func ready(_ request: Request) async throws -> Response {
        let status: MigrationStatus
        do {
            status = try await context.migrations.status(on: context.pool)
        } catch let error as PostgresError {
            request.logger.warning("not ready: database", metadata: ["error": "\(error)"])
            throw HTTPError(.serviceUnavailable, detail: "The database cannot be reached: \(error.message). Weft keeps retrying; check DATABASE_URL and that PostgreSQL is up.",
                            headers: ["Retry-After": "1"])
        } catch let error as MigrationError {
            throw HTTPError(.serviceUnavailable, detail: "The database schema does not match this build: \(error).")
        }
        guard status.isCurrent else {
            throw HTTPError(.serviceUnavailable, detail: "Migrations \(status.pending.map(String.init).joined(separator: ", ")) are pending: run `weft migrate` (or start `weft serve` without --no-migrate).",
                            headers: ["Retry-After": "5"])
        }
        return try Response.json(Readiness(status: "ready", database: "ok", migrationsApplied: status.applied, migrationsPending: []))
    }
}

/// `GET /openapi.yaml`: the API description, from the binary or a configured file.
struct OpenAPIRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        let path = context.configuration.openAPIPath
        builder.on(.GET, "/openapi.yaml") { _ in
            guard let text = OpenAPIDocument.load(path: path) else {
                throw HTTPError(.notFound, detail: "The OpenAPI document is not available in this build.")
            }
            return Response.text(text, contentType: "application/yaml; charset=utf-8")
        }
    }
}

/// The OpenAPI document this build serves.
public enum OpenAPIDocument {
    /// The text at `path`, or the copy bundled with the binary.
    public static func load(path: String? = nil) -> String? {
        if let path { return try? String(contentsOfFile: path, encoding: .utf8) }
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }
}
