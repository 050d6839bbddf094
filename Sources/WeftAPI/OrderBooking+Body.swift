import Foundation
import WeftCore
import WeftHTTP
import WeftStore

extension OrderBooking {
    /// One allocation of a plan just written, with what the 201 body needs of its slot.
    struct Placed: Sendable {
        var new: OrderRecords.NewAllocation
        var factoryID: UUID
        /// The factory's setup cost for the order's capability.
        var setupCost: Int64
        /// The factory's batch terms for the order's capability.
        var batchCost: Int64
        var batchUnits: Int?
        var day: Day
    }

    /// The 201 body, built from what was just written rather than read back (a read would cost
    /// as much as the write). Both placement paths answer through here so that the same order
    /// gets the same bytes whichever path placed it.
    /// - Parameter written: the allocation rows' id and creation time, by slot id.
    /// - Parameter partners: the other orders of its pool in its slots that charge for batches
    ///   (``partners(on:pool:id:placed:)``), whose units share those batches' cost.
    static func body(_ order: OrderRecords.Order, placed: [Placed], written: [Int64: (id: Int64, createdAt: Date)],
                     shortfall: Scheduling.Shortfall?, partners: [OrderCostRecords.Line]) throws -> [UInt8] {
        let cost = Self.cost(of: order.id, createdAt: order.createdAt, pool: order.pool, capability: order.capability,
                             placed: placed, partners: partners)
        let allocations = placed.map { placed in
            let row = written[placed.new.slotID]!
            return OrderRecords.Allocation(id: row.id, orderID: order.id, slotID: placed.new.slotID, factoryID: placed.factoryID,
                                           capability: order.capability, day: placed.day, units: placed.new.units,
                                           unitCost: placed.new.unitCost, status: "planned", runID: nil, createdAt: row.createdAt,
                                           confirmedAt: nil)
        }.sorted { ($0.day, $0.factoryID.uuidString, $0.id) < ($1.day, $1.factoryID.uuidString, $1.id) }
        return try OrderDTO(order, allocations: allocations, cost: cost, shortfall: shortfall).encoded()
    }

    /// The order's own cost (``OrderCostRecords``) from a plan not read back: its placed units
    /// and its batch partners'.
    static func cost(of id: UUID, createdAt: Date, pool: String?, capability: String, placed: [Placed],
                     partners: [OrderCostRecords.Line]) -> Int64 {
        let own = placed.map { placed in
            OrderCostRecords.Line(orderID: id, createdAt: createdAt, pool: pool, slotID: placed.new.slotID, factoryID: placed.factoryID,
                                  capability: capability, day: placed.day, units: placed.new.units, unitCost: placed.new.unitCost,
                                  setupCost: placed.setupCost, batchCost: placed.batchCost, batchUnits: placed.batchUnits)
        }
        return OrderCostRecords.compute(targets: [id], lines: own + partners)[id] ?? 0
    }

    /// The other orders of `pool` in the placed slots that charge for batches (for order `id`,
    /// placed or quoted); none, and no query, without a pool or such slots.
    static func partners(on connection: PostgresConnection, pool: String?, id: UUID, placed: [Placed]) throws -> [OrderCostRecords.Line] {
        guard let pool else { return [] }
        let slots = placed.filter { $0.batchCost > 0 }.map(\.new.slotID)
        guard !slots.isEmpty else { return [] }
        return try OrderCostRecords.partners(on: connection, slotIDs: slots, pool: pool, excluding: id)
    }
}

extension OrderBooking.Planned {
    /// The allocations with their slots' factory, setup cost and day, from the snapshot the plan was made from.
    func placed(in snapshot: PlacementCache.Snapshot) -> [OrderBooking.Placed] {
        let all = snapshot.candidates
        return zip(allocations, slots).map { new, slot in
            let factory = all.slots[slot].factory
            return OrderBooking.Placed(new: new, factoryID: all.factoryIDs[factory], setupCost: all.factories[factory].setupCost,
                                       batchCost: all.factories[factory].batchCost, batchUnits: all.factories[factory].batchUnits,
                                       day: all.slots[slot].day)
        }
    }
}

extension OrderPlacer.Plan {
    /// The allocations with their factory, day and the factory's setup cost from the candidates read.
    var placed: [OrderBooking.Placed] {
        allocations.indices.map { index in
            let factory = candidates.slots[placement.allocations[index].slot].factory
            return OrderBooking.Placed(new: allocations[index], factoryID: factoryIDs[index],
                                       setupCost: candidates.factories[factory].setupCost, batchCost: candidates.factories[factory].batchCost,
                                       batchUnits: candidates.factories[factory].batchUnits, day: days[index])
        }
    }
}
