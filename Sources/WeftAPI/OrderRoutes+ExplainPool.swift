import Foundation
import WeftCore
import WeftStore

/// Explain's pooling part: for an order with a pool, the batches it joined and the open
/// batches of its pool it did not join, with the first reason why not.
struct PoolExplainDTO: Codable, Sendable {
    /// One (factory, day) batch group the order is in.
    struct Joined: Codable, Sendable {
        var factoryId: String
        var date: Day
        /// The order's units there.
        var units: Int
        /// The pool's units there, the order's included.
        var poolUnits: Int
        var batches: Int
        var fill: Double?
        /// Other orders of the pool sharing these batches.
        var otherOrders: Int
    }
    /// An open batch of the pool (in the order's window) that the order is not in.
    struct NotJoined: Codable, Sendable {
        var factoryId: String
        var date: Day
        var poolUnits: Int
        /// Units the batches there could still take before another batch opens (nil: unlimited).
        var room: Int?
        /// capability, inactive, region, certification, deadline, price, capacity_full,
        /// split_limit, minimum_lot, or cost (joining would not have made the order cheaper).
        var reason: String
    }
    var pool: String
    var joined: [Joined]
    var notJoined: [NotJoined]
}

extension OrderRoutes {
    /// The pooling part of explain; nil for an order without a pool.
    /// - Parameters:
    ///   - candidates: every factory of the capability and its slots over the order's window
    ///     and advice horizon, as explain read them.
    ///   - own: the order's allocations.
    static func explainPool(on connection: PostgresConnection, order: OrderRecords.Order, model: Scheduling.Order, asOf: Day,
                            candidates: CandidateRecords.Candidates, own: [OrderRecords.Allocation]) throws -> PoolExplainDTO? {
        guard let pool = order.pool else { return nil }
        let units = try BatchRecords.poolUnits(on: connection, capability: order.capability, pool: pool, from: order.releaseDate)
        let slotIndex = Dictionary(uniqueKeysWithValues: candidates.slotIDs.enumerated().map { ($1, $0) })
        var partners: [Int64: Set<UUID>] = [:]
        let ownSlots = own.map(\.slotID)
        for line in try OrderCostRecords.partners(on: connection, slotIDs: ownSlots, pool: pool, excluding: order.id, onlyBatchCost: false) {
            partners[line.slotID, default: []].insert(line.orderID)
        }
        var joined: [PoolExplainDTO.Joined] = []
        for allocation in own {
            let poolUnits = units[allocation.slotID] ?? allocation.units
            let batchUnits = slotIndex[allocation.slotID].map { candidates.factories[candidates.slots[$0].factory].batchUnits } ?? nil
            let batches = Scheduling.batchCount(units: poolUnits, batchUnits: batchUnits)
            joined.append(PoolExplainDTO.Joined(factoryId: allocation.factoryID.lowercasedString, date: allocation.day, units: allocation.units,
                                                poolUnits: poolUnits, batches: batches,
                                                fill: batchFill(units: poolUnits, batches: batches, batchUnits: batchUnits),
                                                otherOrders: partners[allocation.slotID]?.count ?? 0))
        }
        let usedFactories = Set(own.map(\.factoryID))
        var notJoined: [PoolExplainDTO.NotJoined] = []
        for (slotID, poolUnits) in units where !ownSlots.contains(slotID) {
            guard let index = slotIndex[slotID] else { continue }
            let slot = candidates.slots[index]
            guard slot.day <= order.dueDate else { continue }
            let factory = candidates.factories[slot.factory]
            let factoryID = candidates.factoryIDs[slot.factory]
            let batchUnits = factory.batchUnits
            let room = batchUnits.map { Scheduling.batchCount(units: poolUnits, batchUnits: $0) * $0 - poolUnits }
            let reason = Self.firstReason(model, slot: slot, factory: factory, asOf: asOf, free: candidates.free[index],
                                          used: usedFactories.contains(factoryID), factoriesUsed: usedFactories.count)
            notJoined.append(PoolExplainDTO.NotJoined(factoryId: factoryID.lowercasedString, date: slot.day, poolUnits: poolUnits,
                                                      room: room, reason: reason.rawValue))
        }
        return PoolExplainDTO(pool: pool, joined: joined.sorted { ($0.date, $0.factoryId) < ($1.date, $1.factoryId) },
                              notJoined: notJoined.sorted { ($0.date, $0.factoryId) < ($1.date, $1.factoryId) })
    }

    /// Why the order has no units in `slot`, in the order explain names reasons.
    static func firstReason(_ order: Scheduling.Order, slot: Scheduling.Slot, factory: Scheduling.Factory, asOf: Day, free: Int,
                            used: Bool, factoriesUsed: Int) -> Scheduling.ExclusionReason {
        if !factory.offersCapability { return .capability }
        if !factory.active { return .inactive }
        if !order.regions.isEmpty && !order.regions.contains(factory.region) { return .region }
        if !order.certifications.isSubset(of: factory.certifications) { return .certification }
        if slot.day < max(order.releaseDate, asOf) || slot.day.adding(days: factory.leadDays) > order.dueDate { return .deadline }
        if let cap = order.maxUnitCost, slot.unitCost > cap { return .price }
        if free <= 0 { return .capacityFull }
        if !used && factoriesUsed >= order.maxFactories { return .splitLimit }
        if !used && free < order.minLot { return .minimumLot }
        return .cost
    }
}
