import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// Instant placement inside a transaction: read the eligible free capacity, let core choose
/// the best plan for this order alone, lock the chosen slots in id order and check the plan
/// still fits (another request may have taken capacity since the read), and try again with
/// the fresh figures if not. The slots' CHECK constraint is the last word either way.
struct OrderPlacer {
    /// How many times a plan is re-made after losing a race for its slots.
    static let maxRounds = 8
    /// How far past the due date explain and advice look for capacity.
    static let adviceHorizonDays = 90

    struct Plan {
        var order: Scheduling.Order
        var candidates: CandidateRecords.Candidates
        var placement: Scheduling.OrderPlacement
        /// New allocations with the slots' ids and frozen unit costs.
        var allocations: [OrderRecords.NewAllocation]
        /// Factory of each new allocation, parallel to `allocations`.
        var factoryIDs: [UUID]
        var days: [Day]
    }

    static func model(_ input: OrderInput, id: UUID, releaseDate: Day) -> Scheduling.Order {
        Scheduling.Order(id: id.lowercasedString, quantity: input.quantity, dueDate: input.dueDate, releaseDate: releaseDate,
                         maxUnitCost: input.maxUnitCost, regions: Set(input.regions), certifications: Set(input.certifications),
                         minLot: input.minLot, maxFactories: input.maxFactories, priority: input.priority, pool: input.pool)
    }

    static func model(_ stored: OrderRecords.Order) -> Scheduling.Order {
        Scheduling.Order(id: stored.id.lowercasedString, quantity: stored.quantity, dueDate: stored.dueDate, releaseDate: stored.releaseDate,
                         maxUnitCost: stored.maxUnitCost, regions: Set(stored.regions), certifications: Set(stored.certifications),
                         minLot: stored.minLot, maxFactories: stored.maxFactories, priority: stored.priority, pool: stored.pool)
    }

    /// Chooses and (when `lock`) secures the capacity for `order`. `existing` are allocations the
    /// order already holds and keeps (a displaced order being topped up): they count as served
    /// and their factories as used.
    static func plan(on connection: PostgresConnection, order: Scheduling.Order, capability: String,
                     asOf: Day, lock: Bool, existing: [OrderRecords.Allocation] = []) throws -> Plan {
        for _ in 0..<maxRounds {
            var candidates = try CandidateRecords.eligible(
                on: connection, capability: capability, from: max(order.releaseDate, asOf), due: order.dueDate,
                maxUnitCost: order.maxUnitCost, regions: order.regions.sorted(), certifications: order.certifications.sorted(),
                quantity: order.quantity)
            try CandidateRecords.include(on: connection, slotIDs: existing.map(\.slotID), into: &candidates)
            try addPoolUnits(on: connection, order: order, capability: capability, asOf: asOf, to: &candidates, own: existing)
            let slotIndex = Dictionary(uniqueKeysWithValues: candidates.slotIDs.enumerated().map { ($1, $0) })
            let held = existing.compactMap { allocation in
                slotIndex[allocation.slotID].map { Scheduling.SlotUnits(slot: $0, units: allocation.units) }
            }
            let placement = Scheduling.place(order: order, asOf: asOf, factories: candidates.factories,
                                             slots: candidates.slots, free: candidates.free, existing: held, advise: false)
            let plan = Plan(order: order, candidates: candidates, placement: placement,
                            allocations: placement.allocations.map {
                                OrderRecords.NewAllocation(slotID: candidates.slotIDs[$0.slot], units: $0.units,
                                                           unitCost: candidates.slots[$0.slot].unitCost) },
                            factoryIDs: placement.allocations.map { candidates.factoryIDs[candidates.slots[$0.slot].factory] },
                            days: placement.allocations.map { candidates.slots[$0.slot].day })
            guard lock, !placement.allocations.isEmpty else { return plan }
            try connection.execute("SAVEPOINT placement")
            let fresh = try CandidateRecords.lockFree(on: connection, slotIDs: plan.allocations.map(\.slotID))
            if plan.allocations.allSatisfy({ (fresh[$0.slotID] ?? 0) >= $0.units }) {
                try connection.execute("RELEASE SAVEPOINT placement")
                return plan
            }
            // Lost the race for some slot: drop the locks, read what is left and plan again.
            try connection.execute("ROLLBACK TO SAVEPOINT placement")
        }
        throw HTTPError(.serviceUnavailable, detail: "Capacity for \(capability) is changing too fast to place this order right now; retry shortly (with the same Idempotency-Key).",
                        headers: ["Retry-After": "1"])
    }

    /// Marks in each candidate slot the units of the order's pool that other orders hold there
    /// (batches already open, which the order may fill at no extra batch cost). `own` are the
    /// order's own allocations, which are not "other orders".
    static func addPoolUnits(on connection: PostgresConnection, order: Scheduling.Order, capability: String, asOf: Day,
                             to candidates: inout CandidateRecords.Candidates, own: [OrderRecords.Allocation] = []) throws {
        guard let pool = order.pool, !candidates.slots.isEmpty else { return }
        let units = try BatchRecords.poolUnits(on: connection, capability: capability, pool: pool,
                                               from: candidates.slots.map(\.day).min() ?? asOf)
        guard !units.isEmpty else { return }
        var mine: [Int64: Int] = [:]
        for allocation in own { mine[allocation.slotID, default: 0] += allocation.units }
        for (index, slotID) in candidates.slotIDs.enumerated() {
            let others = (units[slotID] ?? 0) - (mine[slotID] ?? 0)
            if others > 0 { candidates.slots[index].outsidePoolUnits[pool] = others }
        }
    }

    /// Why a short plan is short, and which later due date or higher price cap would serve more.
    static func shortfall(on connection: PostgresConnection, plan: Plan, capability: String, asOf: Day) throws -> Scheduling.Shortfall? {
        guard plan.placement.servedUnits < plan.order.quantity else { return nil }
        let from = max(plan.order.releaseDate, asOf)
        var wide = try CandidateRecords.all(on: connection, capability: capability, from: from,
                                            to: plan.order.dueDate.adding(days: adviceHorizonDays))
        try addPoolUnits(on: connection, order: plan.order, capability: capability, asOf: asOf, to: &wide)
        let index = Dictionary(uniqueKeysWithValues: wide.slotIDs.enumerated().map { ($1, $0) })
        return shortfall(plan.order, asOf: asOf, placement: plan.placement, factories: wide.factories, slots: wide.slots,
                         free: wide.free, position: index, planned: plan.allocations.map { ($0.slotID, $0.units) })
    }

    /// The advice half of a short plan, whatever the slots were read from: placement again with
    /// advice over `slots` (every slot up to the advice horizon), falling back to the plan's own
    /// shortfall when that finds none.
    /// - Parameters:
    ///   - position: where each slot key (a slot id, or an index into a larger snapshot) sits in `slots`.
    ///   - planned: the plan's units per slot key. They are not yet written, so they are taken
    ///     from `free` and counted as the order's; keys outside `slots` are ignored.
    static func shortfall<Key: Hashable>(_ order: Scheduling.Order, asOf: Day, placement: Scheduling.OrderPlacement,
                                         factories: [Scheduling.Factory], slots: [Scheduling.Slot], free: [Int],
                                         position: [Key: Int], planned: [(slot: Key, units: Int)]) -> Scheduling.Shortfall? {
        var free = free
        var existing: [Scheduling.SlotUnits] = []
        for (key, units) in planned {
            guard let slot = position[key] else { continue }
            free[slot] = max(0, free[slot] - units)
            existing.append(Scheduling.SlotUnits(slot: slot, units: units))
        }
        let again = Scheduling.place(order: order, asOf: asOf, factories: factories, slots: slots,
                                     free: free, existing: existing, advise: true)
        return again.shortfall ?? placement.shortfall
    }
}
