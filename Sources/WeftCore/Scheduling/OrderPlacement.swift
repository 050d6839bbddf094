extension Scheduling {
    /// Why an order placed by ``Scheduling/place(order:asOf:factories:slots:free:existing:nodeLimit:advise:)``
    /// is short, and what would serve it.
    public struct Shortfall: Sendable, Hashable {
        public enum Reason: String, Sendable, Hashable, Codable {
            /// No slot passes the eligibility rules; `excludedFactories` says which rules.
            case noEligibleSlot = "no_eligible_slot"
            /// Eligible slots exist but their free units are taken.
            case capacityFull = "capacity_full"
            /// More could be served across more factories than `max_factories`.
            case splitLimit = "split_limit"
            /// Factories with free units cannot make a whole `min_lot`.
            case minimumLot = "minimum_lot"
        }
        /// A due date that would let more be served.
        public struct DueDateAdvice: Sendable, Hashable, Codable {
            public var dueDate: Day
            /// Units the order would then have in total.
            public var servedUnits: Int
        }
        /// A price cap that would let more be served.
        public struct PriceCapAdvice: Sendable, Hashable, Codable {
            public var maxUnitCost: Int64
            /// Units the order would then have in total.
            public var servedUnits: Int
        }
        /// Units missing.
        public var units: Int
        public var reason: Reason
        /// For the factories not used: how many were excluded by each first reason.
        public var excludedFactories: [ExclusionReason: Int]
        /// The earliest later due date that serves the order in full, or, if none does, the
        /// earliest that serves the most; nil when no later due date helps.
        public var laterDueDate: DueDateAdvice?
        /// Likewise the lowest higher `max_unit_cost` (only for orders with a cap).
        public var higherPriceCap: PriceCapAdvice?
    }

    /// The result of instant placement.
    public struct OrderPlacement: Sendable {
        /// New units by slot index (slots of the caller's `slots` array), sorted by slot.
        public var allocations: [SlotUnits]
        /// Units the order has afterwards: existing + new.
        public var servedUnits: Int
        /// What the new units add to the network's cost: Σ units × unit cost + setup of newly used
        /// factories + the batches they open (room in a batch of its group already open is free).
        public var cost: Int64
        /// True when the plan is proven best for the order; else `cost - costLowerBound` is the
        /// proven margin.
        public var exact: Bool
        public var costLowerBound: Int64
        /// Nil when the order is served in full.
        public var shortfall: Shortfall?
    }

    /// Instant placement: the plan that is lexicographically best for this order alone (most
    /// units, then the least cost it adds to the network) in the free capacity, without moving
    /// anything else. With batch costs it fills the free room of batches of its pool already
    /// open in a slot (`Slot.outsidePoolUnits`, and its own `existing` units) before opening new
    /// ones, and picks the slots whose unit cost plus new batches is least overall.
    ///
    /// - Parameters:
    ///   - free: free units of each slot (`slots[i]` has `free[i]`), not counting `existing`.
    ///     `Slot.units` is ignored here.
    ///   - existing: units the order already has and keeps (for re-placing a displaced order);
    ///     they count as served, their factories as used.
    ///   - advise: when short, also compute the due-date and price-cap advice (a few more
    ///     placements).
    public static func place(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                             existing: [SlotUnits] = [], nodeLimit: Int = 50_000, advise: Bool = true) -> OrderPlacement {
        precondition(free.count == slots.count, "one free count per slot")
        let (request, had, anyEligible) = placementRequest(order: order, asOf: asOf, factories: factories, slots: slots, free: free,
                                                           existing: existing, nodeLimit: nodeLimit)
        let result = placeSingleOrder(request)
        var placement = OrderPlacement(allocations: result.allocations, servedUnits: had + result.served, cost: result.cost,
                                       exact: result.exact, costLowerBound: result.costLowerBound, shortfall: nil)
        let missing = order.quantity - placement.servedUnits
        guard missing > 0 else { return placement }

        let reason: Shortfall.Reason
        if !anyEligible && existing.isEmpty {
            reason = .noEligibleSlot
        } else {
            switch result.shortfall {
            case .splitLimit: reason = .splitLimit
            case .minimumLot: reason = .minimumLot
            case .capacity, nil: reason = .capacityFull
            }
        }
        var all = existing
        all.append(contentsOf: result.allocations)
        var excluded: [ExclusionReason: Int] = [:]
        for e in explain(order: order, asOf: asOf, factories: factories, slots: slots, free: free, allocations: all) {
            if let r = e.reason { excluded[r, default: 0] += 1 }
        }
        var shortfall = Shortfall(units: missing, reason: reason, excludedFactories: excluded)
        if advise {
            shortfall.laterDueDate = adviseDueDate(order: order, asOf: asOf, factories: factories, slots: slots, free: free,
                                                   existing: existing, nodeLimit: nodeLimit, served: placement.servedUnits)
            shortfall.higherPriceCap = advisePriceCap(order: order, asOf: asOf, factories: factories, slots: slots, free: free,
                                                      existing: existing, nodeLimit: nodeLimit, served: placement.servedUnits)
        }
        placement.shortfall = shortfall
        return placement
    }

    /// The single-order problem of placing `order` over `slots`: its eligible slots with free
    /// units grouped by factory, the units it already has (`had`), and whether any slot at all is
    /// eligible.
    private static func placementRequest(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                                         existing: [SlotUnits], nodeLimit: Int) -> (request: PlacementRequest, had: Int, anyEligible: Bool) {
        var existingByFactory = [Int](repeating: 0, count: factories.count)
        var had = 0
        for e in existing where e.units > 0 {
            existingByFactory[slots[e.slot].factory] += e.units
            had += e.units
        }
        var slotsByFactory = [[Int]](repeating: [], count: factories.count)
        var anyEligible = false
        for (i, slot) in slots.enumerated() where isEligible(order: order, slot: slot, factory: factories[slot.factory], asOf: asOf) {
            anyEligible = true
            if free[i] > 0 { slotsByFactory[slot.factory].append(i) }
        }
        var request = PlacementRequest(quantity: max(0, order.quantity - had), minLot: order.minLot,
                                       maxFactories: order.maxFactories, factories: [], nodeLimit: nodeLimit)
        // Units of the order's pool group already in each slot: outside units of its pool, and
        // its own kept units (which form its group's batches whether it has a pool or not).
        var keptInSlot: [Int: Int] = [:]
        for e in existing where e.units > 0 { keptInSlot[e.slot, default: 0] += e.units }
        func groupUnits(_ i: Int) -> Int {
            (order.pool.map { slots[i].outsidePoolUnits[$0] ?? 0 } ?? 0) + (keptInSlot[i] ?? 0)
        }
        for f in factories.indices where !slotsByFactory[f].isEmpty || existingByFactory[f] > 0 {
            request.factories.append(PlacementFactory(
                factory: f, setupCost: factories[f].setupCost, existingUnits: existingByFactory[f],
                batchCost: factories[f].batchCost, batchUnits: factories[f].batchUnits,
                slots: slotsByFactory[f].map {
                    PlacementSlot(slot: $0, free: free[$0], unitCost: slots[$0].unitCost, day: slots[$0].day, groupUnits: groupUnits($0))
                }))
        }
        return (request, had, anyEligible)
    }

    /// Units `order` would have in all (its `existing` ones and the most new ones placement
    /// finds) over `slots`: `place(...).servedUnits` exactly (see ``mostUnits(_:)``), without
    /// searching for the cheapest plan, which is what the advice's trial placements need. With
    /// batch costs that search covers every slot of every such factory (no candidate trimming
    /// applies up to an advice horizon), so the advice used to cost minutes for a short pooled
    /// order on a wide network.
    private static func servedUnits(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                                    existing: [SlotUnits], nodeLimit: Int) -> Int {
        let (request, had, _) = placementRequest(order: order, asOf: asOf, factories: factories, slots: slots, free: free,
                                                 existing: existing, nodeLimit: nodeLimit)
        return had + mostUnits(request).served
    }

    /// The smallest candidate (ascending list) whose served units reach the best reachable,
    /// found by binary search: served units never fall as the relaxation grows.
    private static func smallestHelping<T>(_ candidates: [T], served: Int, quantity: Int, _ evaluate: (T) -> Int) -> (T, Int)? {
        guard let last = candidates.last else { return nil }
        let most = evaluate(last)
        guard most > served else { return nil }
        let goal = min(most, quantity)
        var lo = 0, hi = candidates.count - 1, found = (last, most)
        while lo <= hi {
            let mid = (lo + hi) / 2
            let value = mid == candidates.count - 1 ? most : evaluate(candidates[mid])
            if value >= goal { found = (candidates[mid], value); hi = mid - 1 } else { lo = mid + 1 }
        }
        return found
    }

    private static func adviseDueDate(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                                      existing: [SlotUnits], nodeLimit: Int, served: Int) -> Shortfall.DueDateAdvice? {
        var days = Set<Int32>()
        for (i, slot) in slots.enumerated() where free[i] > 0 {
            let f = factories[slot.factory]
            guard factoryExclusion(order: order, factory: f) == nil else { continue }
            if let cap = order.maxUnitCost, slot.unitCost > cap { continue }
            guard slot.day >= order.releaseDate, slot.day >= asOf else { continue }
            let due = slot.day.ordinal + Int32(f.leadDays)
            if due > order.dueDate.ordinal { days.insert(due) }
        }
        let candidates = days.sorted()
        let best = smallestHelping(candidates, served: served, quantity: order.quantity) { due in
            var relaxed = order
            relaxed.dueDate = Day(ordinal: due)
            return servedUnits(order: relaxed, asOf: asOf, factories: factories, slots: slots, free: free, existing: existing,
                               nodeLimit: nodeLimit)
        }
        return best.map { Shortfall.DueDateAdvice(dueDate: Day(ordinal: $0.0), servedUnits: $0.1) }
    }

    private static func advisePriceCap(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                                       existing: [SlotUnits], nodeLimit: Int, served: Int) -> Shortfall.PriceCapAdvice? {
        guard let cap = order.maxUnitCost else { return nil }
        var prices = Set<Int64>()
        for (i, slot) in slots.enumerated() where free[i] > 0 && slot.unitCost > cap {
            let f = factories[slot.factory]
            guard factoryExclusion(order: order, factory: f) == nil, inWindow(order: order, day: slot.day, factory: f, asOf: asOf) else { continue }
            prices.insert(slot.unitCost)
        }
        let best = smallestHelping(prices.sorted(), served: served, quantity: order.quantity) { price in
            var relaxed = order
            relaxed.maxUnitCost = price
            return servedUnits(order: relaxed, asOf: asOf, factories: factories, slots: slots, free: free, existing: existing,
                               nodeLimit: nodeLimit)
        }
        return best.map { Shortfall.PriceCapAdvice(maxUnitCost: $0.0, servedUnits: $0.1) }
    }

    /// One candidate factory in an order's explanation.
    public struct FactoryExplanation: Sendable, Hashable {
        /// Index into the caller's `factories`.
        public var factory: Int
        /// Whether the order has units there.
        public var used: Bool
        /// The order's units there.
        public var units: Int
        /// For an unused factory, the first reason it is not used; nil when used.
        public var reason: ExclusionReason?
        /// Slots of the factory eligible for the order.
        public var eligibleSlots: Int
        /// Free units in those slots (not counting the order's own).
        public var freeUnits: Int
    }

    /// The first reason order `order` does not use factory `factory` (nil if it does); the entry
    /// of ``Scheduling/explain(order:asOf:factories:slots:free:allocations:)`` for that factory.
    public static func firstExclusionReason(order: Order, factory: Int, asOf: Day, factories: [Factory], slots: [Slot],
                                            free: [Int], allocations: [SlotUnits]) -> ExclusionReason? {
        explain(order: order, asOf: asOf, factories: factories, slots: slots, free: free, allocations: allocations)[factory].reason
    }

    /// "Explain": every factory with, if the order does not use it, the first reason why —
    /// capability, inactive, region, certification, price, deadline, capacity full, split limit,
    /// minimum lot, cost, checked in that order.
    ///
    /// `free` are the slots' free units not counting this order's `allocations`. Split limit is
    /// named only for an order that is short (a fully served order simply did not need the
    /// factory: cost); minimum lot when the factory's free units, or the order's missing units,
    /// are fewer than `min_lot`.
    public static func explain(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                               allocations: [SlotUnits]) -> [FactoryExplanation] {
        var unitsByFactory = [Int](repeating: 0, count: factories.count)
        var served = 0
        for a in allocations where a.units > 0 {
            unitsByFactory[slots[a.slot].factory] += a.units
            served += a.units
        }
        let factoriesUsed = unitsByFactory.filter { $0 > 0 }.count
        let missing = order.quantity - served
        var slotsByFactory = [[Int]](repeating: [], count: factories.count)
        for (i, slot) in slots.enumerated() { slotsByFactory[slot.factory].append(i) }

        return factories.indices.map { f in
            let factory = factories[f]
            let mine = slotsByFactory[f]
            let eligible = mine.filter { isEligible(order: order, slot: slots[$0], factory: factory, asOf: asOf) }
            let freeUnits = eligible.reduce(0) { $0 + max(0, free[$1]) }
            var e = FactoryExplanation(factory: f, used: unitsByFactory[f] > 0, units: unitsByFactory[f], reason: nil,
                                       eligibleSlots: eligible.count, freeUnits: freeUnits)
            if e.used { return e }
            if let reason = factoryExclusion(order: order, factory: factory) {
                e.reason = reason
            } else if mine.isEmpty {
                e.reason = .capacityFull
            } else if let cap = order.maxUnitCost, mine.allSatisfy({ slots[$0].unitCost > cap }) {
                e.reason = .price
            } else if eligible.isEmpty {
                e.reason = .deadline
            } else if freeUnits == 0 {
                e.reason = .capacityFull
            } else if missing > 0 && factoriesUsed >= order.maxFactories {
                e.reason = .splitLimit
            } else if freeUnits < order.minLot || (missing > 0 && missing < order.minLot) {
                e.reason = .minimumLot
            } else {
                e.reason = .cost
            }
            return e
        }
    }
}
