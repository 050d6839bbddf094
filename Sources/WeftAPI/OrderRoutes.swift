import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

/// Orders: submit with instant placement, quote, list, get, cancel, explain.
struct OrderRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        builder.on(.POST, "/v1/orders") { try await submit($0) }
        builder.on(.GET, "/v1/orders") { try await list($0) }
        builder.on(.GET, "/v1/orders/{id}") { try await get($0) }
        builder.on(.POST, "/v1/orders/{id}/cancel") { try await cancel($0) }
        builder.on(.GET, "/v1/orders/{id}/explain") { try await explain($0) }
        builder.on(.POST, "/v1/quotes") { try await quote($0) }
    }

    static let statuses = ["scheduled", "partial", "unscheduled", "cancelled"]

    /// An order with its allocations and its own cost (units, setups, batch shares), as clients see it.
    static func dto(on connection: PostgresConnection, _ order: OrderRecords.Order, shortfall: Scheduling.Shortfall? = nil) throws -> OrderDTO {
        let allocations = try OrderRecords.allocations(on: connection, orderIDs: [order.id])
        let cost = allocations.isEmpty ? 0 : try OrderCostRecords.costs(on: connection, orderIDs: [order.id])[order.id] ?? 0
        return OrderDTO(order, allocations: allocations, cost: cost, shortfall: shortfall)
    }

    private func list(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let (statuses, capability, limit, cursorText, brokerFilter) = try request.queryInput { reader in
            (reader.values("status", allowed: Self.statuses), reader.capability("capability"), reader.limit(), reader.cursor(), reader.id("broker_id"))
        }
        if brokerFilter != nil, principal.role != .admin {
            throw HTTPError(.forbidden, detail: "Only admins filter by broker_id; a broker key lists its own orders.")
        }
        let paging = try KeysetPaging(limit: limit, cursor: cursorText)
        let filter = OrderRecords.ListFilter(
            brokerID: principal.role == .broker ? principal.brokerID : brokerFilter.flatMap { UUID(uuidString: $0.text) },
            statuses: statuses, capability: capability?.code, after: paging.after.map { ($0.createdAt, $0.id) }, limit: limit)
        let page = try await context.pool.withConnection { connection -> Page<OrderDTO> in
            let orders = try OrderRecords.list(on: connection, filter)
            let allocations = Dictionary(grouping: try OrderRecords.allocations(on: connection, orderIDs: orders.prefix(limit).map(\.id)), by: \.orderID)
            // The same cost as GET /v1/orders/{id}: setups and batch shares included.
            let costs = try OrderCostRecords.costs(on: connection, orderIDs: Array(allocations.keys))
            return paging.page(orders, position: { ListPosition(createdAt: $0.createdAt, id: $0.id) }) {
                OrderDTO($0, allocations: allocations[$0.id] ?? [], cost: costs[$0.id] ?? 0)
            }
        }
        return try Response.json(page)
    }

    private func get(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let id = try request.entityID(of: "order")
        let dto = try await context.pool.withConnection { connection -> OrderDTO? in
            guard let found = try OrderRecords.findWithCost(on: connection, id: id), principal.mayAccess(broker: found.order.brokerID) else {
                return nil
            }
            return OrderDTO(found.order, allocations: found.allocations, cost: found.cost, shortfall: nil)
        }
        guard let dto else { throw notFound("order", id.lowercasedString) }
        return Response.json(bytes: try dto.encoded())
    }

    private func cancel(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let id = try request.entityID(of: "order")
        let dto = try await context.pool.transaction { connection -> OrderDTO? in
            guard let order = try OrderRecords.find(on: connection, id: id, forUpdate: true),
                  principal.mayAccess(broker: order.brokerID),
                  let cancelled = try OrderRecords.cancel(on: connection, id: id) else { return nil }
            return try Self.dto(on: connection, cancelled)
        }
        guard let dto else { throw notFound("order", id.lowercasedString) }
        return try Response.json(dto)
    }
}
