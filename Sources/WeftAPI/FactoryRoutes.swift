import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

/// `POST /v1/factories`, `GET /v1/factories` (admin) and `GET`/`PATCH /v1/factories/{id}`
/// (admin, or that factory's own key).
struct FactoryRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        builder.post("/v1/factories") { request in try await create(request) }
        builder.get("/v1/factories") { request in try await list(request) }
        builder.get("/v1/factories/{id}") { request in try await show(request) }
        builder.patch("/v1/factories/{id}") { request in try await update(request) }
    }

    private func create(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        try request.noQuery()
        let input = try request.input(FactoryInput.self)
        let record = try await context.pool.transaction { connection in
            try FactoryRecords.insert(on: connection, input)
        }
        var response = try Response.json(FactoryDTO(record), status: .created)
        response.headers.add(name: "Location", value: "/v1/factories/\(record.id.uuidString.lowercased())")
        return response
    }

    private func list(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let query = try request.queryInput { reader in
            (paging: KeysetPaging.read(&reader), capability: reader.capability("capability"),
             region: reader.code("region", rule: .region), active: reader.bool("active"))
        }
        let paging = try KeysetPaging(limit: query.paging.limit, cursor: query.paging.cursor)
        let filter = FactoryRecords.ListFilter(capability: query.capability?.code, region: query.region, active: query.active,
                                               after: paging.after, limit: paging.fetchLimit)
        let rows = try await context.pool.withConnection { connection in
            try FactoryRecords.list(on: connection, filter)
        }
        return try Response.json(paging.page(rows, position: { ListPosition(createdAt: $0.createdAt, id: $0.id) }, item: FactoryDTO.init))
    }

    private func show(_ request: Request) async throws -> Response {
        let id = try request.accessibleFactoryID()
        try request.noQuery()
        let record = try await context.pool.withConnection { connection in
            try FactoryRecords.find(on: connection, id: id)
        }
        guard let record else { throw notFound("factory", request.parameters["id"] ?? "") }
        return Response.json(bytes: FactoryDTO(record).encoded())
    }

    private func update(_ request: Request) async throws -> Response {
        let id = try request.accessibleFactoryID()
        try request.noQuery()
        let patch = try request.input(FactoryPatch.self)
        let record: FactoryRecords.Record?
        do {
            record = try await context.pool.transaction { connection in
                try FactoryRecords.update(on: connection, id: id, patch)
            }
        } catch let inUse as FactoryRecords.CapabilitiesInUse {
            throw inUse.httpError(factoryPath: "/v1/factories/\(id.uuidString.lowercased())")
        }
        guard let record else { throw notFound("factory", request.parameters["id"] ?? "") }
        return try Response.json(FactoryDTO(record))
    }
}

extension Request {
    /// The `{id}` of a factory route, for an admin or that factory's own key: 403 for
    /// brokers, 404 for a malformed id or another factory's (its existence stays hidden).
    func accessibleFactoryID() throws -> UUID {
        let principal = try Principal.require(.admin, .factory)
        let id = try entityID("id", of: "factory")
        guard principal.mayAccess(factory: id) else { throw notFound("factory", parameters["id"] ?? "") }
        return id
    }
}

extension FactoryRecords.CapabilitiesInUse {
    /// 409 naming each capability the patch would remove while it still has capacity or work.
    func httpError(factoryPath: String) -> HTTPError {
        let names = uses.map { "'\($0.capability)'" }.joined(separator: ", ")
        return HTTPError(
            .conflict,
            detail: "The new capabilities leave out \(names), which still \(uses.count == 1 ? "has" : "have") capacity; nothing was changed. "
                + "Set those slots' units to 0 with PUT \(factoryPath)/capacity first (slots with allocated work must be released first), or keep the capability.",
            title: "Capability still in use", type: "https://weft.dev/problems/capability-in-use",
            errors: uses.map { use in
                let allocated = use.allocatedSlots == 0 ? "" : ", \(use.allocatedSlots) of them with allocated work"
                return FieldError(field: "capabilities",
                                  message: "leaves out '\(use.capability)', which has capacity on \(use.liveSlots) day\(use.liveSlots == 1 ? "" : "s") from \(use.firstDay.iso) to \(use.lastDay.iso)\(allocated)")
            })
    }
}
