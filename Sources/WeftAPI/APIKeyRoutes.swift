import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `POST /v1/api-keys` (issue; the secret is shown once), `GET /v1/api-keys` (list, never
/// secrets) and `DELETE /v1/api-keys/{id}` (revoke: at once in this process, within half a second in every other). Admin only.
struct APIKeyRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        builder.post("/v1/api-keys") { request in try await create(request) }
        builder.get("/v1/api-keys") { request in try await list(request) }
        builder.delete("/v1/api-keys/{id}") { request in try await revoke(request) }
    }

    private func create(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        try request.noQuery()
        let input = try request.input(APIKeyInput.self)
        var factoryID: UUID?
        var brokerID: UUID?
        switch input.scope {
        case .admin: break
        case .factory(let id): factoryID = UUID(uuidString: id.text)
        case .broker(let id): brokerID = UUID(uuidString: id.text)
        }
        let secret = try APIKeySecret.generate()
        let (role, label) = (input.scope.role.rawValue, input.label)
        do {
            let record = try await context.pool.transaction { [factoryID, brokerID] connection in
                try APIKeyRecords.insert(on: connection, role: role, factoryID: factoryID, brokerID: brokerID,
                                         label: label, prefix: secret.prefix, digest: secret.digest)
            }
            return try Response.json(APIKeyDTO(record, secret: secret.text), status: .created)
        } catch let error as PostgresError where error.sqlState == PostgresError.foreignKeyViolation {
            // The id is well-formed (core checked) but names nothing: the caller must fix the body.
            let field = factoryID != nil ? "factory_id" : "broker_id"
            let what = factoryID != nil ? "factory" : "broker"
            throw ValidationFailure(field: field, message: "no \(what) with this id exists; create it first or check the id").httpError
        }
    }

    private func list(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let query = try request.queryInput(KeysetPaging.read)
        let paging = try KeysetPaging(limit: query.limit, cursor: query.cursor)
        let rows = try await context.pool.withConnection { connection in
            try APIKeyRecords.list(on: connection, after: paging.after, limit: paging.fetchLimit)
        }
        return try Response.json(paging.page(rows, position: { ListPosition(createdAt: $0.createdAt, id: $0.id) }, item: { APIKeyDTO($0) }))
    }

    private func revoke(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let id = try request.entityID("id", of: "API key")
        try request.noQuery()
        let revoked = try await context.pool.withConnection { connection in
            try APIKeyRecords.revoke(on: connection, id: id)
        }
        guard revoked != nil else { throw notFound("API key", request.parameters["id"] ?? "") }
        // At once here; other processes drop it when their copy expires (APIKeyCache.maxAge).
        context.apiKeys.forget(keyID: id)
        return Response(status: .noContent)
    }
}
