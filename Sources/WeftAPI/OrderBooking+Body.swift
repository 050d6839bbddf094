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
        var day: Day
    }

    /// The 201 body, built from what was just written rather than read back (a read would cost
    /// as much as the write). Both placement paths answer through here so that the same order
    /// gets the same bytes whichever path placed it.
    /// - Parameter written: the allocation rows' id and creation time, by slot id.
    static func body(_ order: OrderRecords.Order, placed: [Placed], written: [Int64: (id: Int64, createdAt: Date)],
                     shortfall: Scheduling.Shortfall?) throws -> [UInt8] {
        var setupCosts: [UUID: Int64] = [:]
        let allocations = placed.map { placed in
            let row = written[placed.new.slotID]!
            setupCosts[placed.factoryID] = placed.setupCost
            return OrderRecords.Allocation(id: row.id, orderID: order.id, slotID: placed.new.slotID, factoryID: placed.factoryID,
                                           capability: order.capability, day: placed.day, units: placed.new.units,
                                           unitCost: placed.new.unitCost, status: "planned", runID: nil, createdAt: row.createdAt,
                                           confirmedAt: nil)
        }.sorted { ($0.day, $0.factoryID.uuidString, $0.id) < ($1.day, $1.factoryID.uuidString, $1.id) }
        return Array(try JSON.encoder.encode(OrderDTO(order, allocations: allocations, setupCosts: setupCosts, shortfall: shortfall)))
    }
}

extension OrderBooking.Planned {
    /// The allocations with their slots' factory, setup cost and day, from the snapshot the plan was made from.
    func placed(in snapshot: PlacementCache.Snapshot) -> [OrderBooking.Placed] {
        let all = snapshot.candidates
        return zip(allocations, slots).map { new, slot in
            let factory = all.slots[slot].factory
            return OrderBooking.Placed(new: new, factoryID: all.factoryIDs[factory], setupCost: all.factories[factory].setupCost,
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
                                       setupCost: candidates.factories[factory].setupCost, day: days[index])
        }
    }
}
