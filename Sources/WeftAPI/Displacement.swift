import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// What displacement did to one order.
struct DisplacedOrderDTO: Codable, Sendable {
    var id: String
    var releasedUnits: Int
    var replacedUnits: Int
    var allocatedUnits: Int
    var status: String
}

/// Lowering capacity below what is allocated, on request: release what no longer fits, then
/// re-place the orders hit at once, most important first, in the same transaction.
enum Displacement {
    /// Runs inside the capacity upsert's transaction: `release` before the new units are
    /// written, `replace` after.
    static func release(on connection: PostgresConnection, factoryID: UUID, slots: [CapacitySlotInput]) throws -> [UUID: Int] {
        let released = try DisplacementRecords.release(
            on: connection, factoryID: factoryID, slots: slots.map { ($0.capability.code, $0.date, $0.units) })
        return released.reduce(into: [:]) { $0[$1.orderID, default: 0] += $1.units }
    }

    static func replace(on connection: PostgresConnection, released: [UUID: Int], asOf: Day) throws -> [DisplacedOrderDTO] {
        guard !released.isEmpty else { return [] }
        var orders = try released.keys.compactMap { try OrderRecords.find(on: connection, id: $0, forUpdate: true) }
        orders.sort { ($0.priority, $1.createdAt) > ($1.priority, $0.createdAt) }
        var result: [DisplacedOrderDTO] = []
        for order in orders {
            let kept = try OrderRecords.allocations(on: connection, orderIDs: [order.id])
            let plan = try OrderPlacer.plan(on: connection, order: OrderPlacer.model(order), capability: order.capability,
                                            asOf: asOf, lock: true, existing: kept)
            try OrderRecords.insertAllocations(on: connection, orderID: order.id, plan.allocations)
            let reason = plan.placement.servedUnits < order.quantity
                ? "Displaced: the factory lowered its capacity and only \(plan.placement.servedUnits) of \(order.quantity) units could be re-placed."
                : nil
            try OrderRecords.refreshStatus(on: connection, ids: [order.id], reason: reason)
            let now = try OrderRecords.find(on: connection, id: order.id)!
            result.append(DisplacedOrderDTO(id: order.id.lowercasedString, releasedUnits: released[order.id] ?? 0,
                                            replacedUnits: plan.allocations.reduce(0) { $0 + $1.units },
                                            allocatedUnits: now.allocatedUnits, status: now.status))
        }
        return result.sorted { $0.id < $1.id }
    }
}
