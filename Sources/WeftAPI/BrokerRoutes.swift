import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `POST /v1/brokers` and `GET /v1/brokers`: admins onboard and list brokers.
struct BrokerRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        builder.post("/v1/brokers") { request in try await create(request) }
        builder.get("/v1/brokers") { request in try await list(request) }
    }

    private func create(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        try request.noQuery()
        let name = try request.input(BrokerInput.self).name
        let record = try await context.pool.withConnection { connection in
            try BrokerRecords.insert(on: connection, name: name)
        }
        return try Response.json(BrokerDTO(record), status: .created)
    }

    private func list(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let query = try request.queryInput(KeysetPaging.read)
        let paging = try KeysetPaging(limit: query.limit, cursor: query.cursor)
        let rows = try await context.pool.withConnection { connection in
            try BrokerRecords.list(on: connection, after: paging.after, limit: paging.fetchLimit)
        }
        return try Response.json(paging.page(rows, position: { ListPosition(createdAt: $0.createdAt, id: $0.id) }, item: BrokerDTO.init))
    }
}
