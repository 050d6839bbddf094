import Foundation

extension OrderRecords {
    /// One order as `GET /v1/orders/{id}` shows it: the row, its allocations and its cost
    /// (``OrderCostRecords``), read by three statements sent together in one round trip
    /// (``PostgresConnection/pipeline(_:)``); nil when there is no such order.
    public static func findWithCost(on connection: PostgresConnection, id: UUID) throws -> (order: Order, allocations: [Allocation], cost: Int64)? {
        let results = try connection.pipeline([
            .init("SELECT \(orderColumns) FROM orders WHERE id = $1", id),
            .init(allocationsSQL, [id]),
            .init(OrderCostRecords.linesSQL, [id]),
        ])
        guard let order = try results[0].first.map(Self.order) else { return nil }
        let allocations = try results[1].map(allocation)
        let cost = OrderCostRecords.compute(targets: [id], lines: try results[2].map(OrderCostRecords.line))[id] ?? 0
        return (order, allocations, cost)
    }
}
