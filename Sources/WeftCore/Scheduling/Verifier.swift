extension Scheduling {
    /// One broken hard constraint found by ``Scheduling/verify(_:plan:start:)``.
    public enum Violation: Sendable, Hashable, CustomStringConvertible {
        /// Allocation number `index` of the plan names an order or slot that does not exist, or
        /// has fewer than one unit. It is ignored for everything else.
        case invalidAllocation(index: Int)
        /// Constraint 1: more units in the slot than it has.
        case capacity(slot: Int, allocated: Int, units: Int)
        /// Constraint 2: more units than the order's quantity.
        case quantity(order: Int, allocated: Int, quantity: Int)
        /// Constraint 3: a factory the order uses makes fewer than `min_lot` units of it.
        case minimumLot(order: Int, factory: Int, units: Int, minLot: Int)
        /// Constraint 4: the order is split across more than `max_factories` factories.
        case splitLimit(order: Int, factories: Int, maxFactories: Int)
        /// An unpinned allocation in a slot that is not eligible for the order.
        case ineligible(order: Int, slot: Int)
        /// Constraint 5: the order ends with fewer units than it had (counting only the units
        /// it validly had; see ``Scheduling/stabilityFloor(_:start:)``).
        case stability(order: Int, before: Int, after: Int)
        /// Constraint 5: pinned units of the order in the slot differ from the starting plan.
        case pinnedChanged(order: Int, slot: Int, before: Int, after: Int)

        public var description: String {
            switch self {
            case .invalidAllocation(let i): return "allocation #\(i) names no order or slot, or has no units"
            case .capacity(let s, let a, let u): return "slot \(s): \(a) units allocated, capacity \(u)"
            case .quantity(let o, let a, let q): return "order \(o): \(a) units allocated, quantity \(q)"
            case .minimumLot(let o, let f, let u, let m): return "order \(o) makes \(u) units in factory \(f), minimum lot \(m)"
            case .splitLimit(let o, let n, let m): return "order \(o) uses \(n) factories, at most \(m) allowed"
            case .ineligible(let o, let s): return "order \(o) is not eligible for slot \(s)"
            case .stability(let o, let b, let a): return "order \(o) would drop from \(b) to \(a) units"
            case .pinnedChanged(let o, let s, let b, let a): return "pinned units of order \(o) in slot \(s) changed from \(b) to \(a)"
            }
        }
    }

    /// What the verifier found: the plan's score and every violation (`score.hard` is their count).
    public struct Verification: Sendable {
        public var score: Score
        public var violations: [Violation]
        /// True when the plan may be written: no violation at all.
        public var isValid: Bool { violations.isEmpty }
    }

    /// Scores `plan` against `problem` and lists every hard-constraint violation.
    ///
    /// With `start` (the plan before a run) it also checks stability: no order may end with
    /// fewer units than its floor, and pinned units per (order, slot) must be exactly as in
    /// `start`. Pinned allocations are exempt from the eligibility check (they are history),
    /// but count for capacity, quantity, minimum lot and split limit like any other units.
    /// This is the guard in front of every write: a plan with violations must not be written.
    public static func verify(_ problem: Problem, plan: [Allocation], start: [Allocation]? = nil) -> Verification {
        var violations: [Violation] = []
        let slotCount = problem.slots.count, orderCount = problem.orders.count
        var valid: [Allocation] = []
        valid.reserveCapacity(plan.count)
        for (index, a) in plan.enumerated() {
            if a.order < 0 || a.order >= orderCount || a.slot < 0 || a.slot >= slotCount || a.units < 1 {
                violations.append(.invalidAllocation(index: index))
            } else {
                valid.append(a)
            }
        }

        // 1. capacity
        var used = [Int](repeating: 0, count: slotCount)
        for a in valid { used[a.slot] += a.units }
        for s in 0..<slotCount where used[s] > problem.slots[s].units {
            violations.append(.capacity(slot: s, allocated: used[s], units: problem.slots[s].units))
        }

        // 2-4 and eligibility, order by order (sorted, so the list comes out deterministically).
        valid.sort()
        var served = [Int](repeating: 0, count: orderCount)
        var cost: Int64 = 0
        var first = 0
        while first < valid.count {
            var end = first
            let o = valid[first].order
            let order = problem.orders[o]
            var perFactory: [Int: Int] = [:]
            while end < valid.count && valid[end].order == o {
                let a = valid[end]
                let slot = problem.slots[a.slot]
                served[o] += a.units
                perFactory[slot.factory, default: 0] += a.units
                cost += Int64(a.units) * slot.unitCost
                if !a.pinned && !problem.isEligible(order: o, slot: a.slot) {
                    violations.append(.ineligible(order: o, slot: a.slot))
                }
                end += 1
            }
            if served[o] > order.quantity {
                violations.append(.quantity(order: o, allocated: served[o], quantity: order.quantity))
            }
            for f in perFactory.keys.sorted() {
                cost += problem.factories[f].setupCost
                let units = perFactory[f]!
                if units < order.minLot {
                    violations.append(.minimumLot(order: o, factory: f, units: units, minLot: order.minLot))
                }
            }
            if perFactory.count > order.maxFactories {
                violations.append(.splitLimit(order: o, factories: perFactory.count, maxFactories: order.maxFactories))
            }
            first = end
        }

        // 5. stability and pinning
        if let before = start {
            let floor = stabilityFloor(problem, start: before)
            for o in 0..<orderCount where served[o] < floor[o] {
                violations.append(.stability(order: o, before: floor[o], after: served[o]))
            }
            let pinnedBefore = pinnedUnits(problem, before), pinnedAfter = pinnedUnits(problem, plan)
            let keys = Set(pinnedBefore.keys).union(pinnedAfter.keys).sorted { ($0.order, $0.slot) < ($1.order, $1.slot) }
            for key in keys {
                let b = pinnedBefore[key] ?? 0, a = pinnedAfter[key] ?? 0
                if a != b { violations.append(.pinnedChanged(order: key.order, slot: key.slot, before: b, after: a)) }
            }
        }

        // Term 3's batches: what this problem's units add per (slot, pool group).
        cost += planBatchCost(problem, plan: valid)

        var unserved: Int64 = 0
        for o in 0..<orderCount {
            let order = problem.orders[o]
            unserved += Int64(order.priority) * Int64(max(0, order.quantity - served[o]))
        }
        return Verification(score: Score(hard: violations.count, unserved: unserved, cost: cost), violations: violations)
    }

    /// The plan's score (hard counted without stability, since no starting plan is given).
    public static func score(_ problem: Problem, plan: [Allocation]) -> Score {
        verify(problem, plan: plan).score
    }

    /// Per order, the least number of units a run must leave it with: its pinned units plus its
    /// unpinned units in slots still eligible for it.
    ///
    /// Units in slots that stopped being eligible (the factory went inactive, the price rose
    /// above the order's cap) do not count: keeping them would break eligibility, so a run
    /// re-places them where it can but is not bound to. This keeps "stability" satisfiable
    /// whenever the starting plan minus such units is.
    public static func stabilityFloor(_ problem: Problem, start: [Allocation]) -> [Int] {
        var floor = [Int](repeating: 0, count: problem.orders.count)
        for a in start where a.order >= 0 && a.order < problem.orders.count && a.slot >= 0
            && a.slot < problem.slots.count && a.units > 0 {
            if a.pinned || problem.isEligible(order: a.order, slot: a.slot) { floor[a.order] += a.units }
        }
        // Never more than the quantity: a floor above it could not be met without a violation.
        for o in floor.indices { floor[o] = min(floor[o], problem.orders[o].quantity) }
        return floor
    }

    struct OrderSlot: Hashable { var order: Int; var slot: Int }

    static func pinnedUnits(_ problem: Problem, _ plan: [Allocation]) -> [OrderSlot: Int] {
        var result: [OrderSlot: Int] = [:]
        for a in plan where a.pinned { result[OrderSlot(order: a.order, slot: a.slot), default: 0] += a.units }
        return result
    }

    /// A change of unpinned units of one order in one slot between two plans.
    public struct PlanChange: Sendable, Hashable, Codable {
        public var order: Int
        public var slot: Int
        public var before: Int
        public var after: Int
        public init(order: Int, slot: Int, before: Int, after: Int) {
            self.order = order
            self.slot = slot
            self.before = before
            self.after = after
        }
    }

    /// The unpinned (order, slot) units that differ between two plans, sorted by order then slot.
    /// Its count is what runs report as "moved".
    public static func diff(from before: [Allocation], to after: [Allocation]) -> [PlanChange] {
        var units: [OrderSlot: (Int, Int)] = [:]
        for a in before where !a.pinned { units[OrderSlot(order: a.order, slot: a.slot), default: (0, 0)].0 += a.units }
        for a in after where !a.pinned { units[OrderSlot(order: a.order, slot: a.slot), default: (0, 0)].1 += a.units }
        return units.compactMap { key, value in
            value.0 == value.1 ? nil : PlanChange(order: key.order, slot: key.slot, before: value.0, after: value.1)
        }.sorted { ($0.order, $0.slot) < ($1.order, $1.slot) }
    }

    /// The plan with allocations of the same (order, slot, pinned) merged, sorted.
    public static func canonical(_ plan: [Allocation]) -> [Allocation] {
        var sorted = plan.filter { $0.units > 0 }
        sorted.sort()
        var result: [Allocation] = []
        result.reserveCapacity(sorted.count)
        for a in sorted {
            if let last = result.last, last.order == a.order, last.slot == a.slot, last.pinned == a.pinned {
                result[result.count - 1].units += a.units
            } else {
                result.append(a)
            }
        }
        return result
    }
}
