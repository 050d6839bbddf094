/// A mutable plan over a ``ProblemIndex``: movable allocations per order, free units per slot,
/// and the score kept up to date incrementally. Pinned units are constant and live in the index.
struct SolverState {
    let index: ProblemIndex
    /// Per slot: units still free for movable allocations.
    var free: [Int]
    /// Per order: movable allocations.
    var alloc: [[Scheduling.SlotUnits]]
    /// Per order: pinned + movable units.
    var served: [Int]
    /// Per order: cost of its movable units + setup of factories it uses only through them.
    var orderCost: [Int64]
    /// Per slot: the orders with movable units in it (unordered).
    var occupants: [[Int32]]
    /// Σ priority × missing units.
    private(set) var unserved: Int64 = 0
    /// Σ orderCost (pinned cost excluded; see `score`).
    private(set) var movableCost: Int64 = 0
    private var engine = PlacementEngine()
    /// Node limit for each placement (the solver may make thousands per second).
    var nodeLimit = 5_000
    /// Proven lower bound on the cost of the last placement (its cost when it was exact).
    private(set) var lastCostLowerBound: Int64 = 0

    init(index: ProblemIndex) {
        self.index = index
        free = index.capacity
        alloc = [[Scheduling.SlotUnits]](repeating: [], count: index.problem.orders.count)
        served = index.pinnedByOrder
        orderCost = [Int64](repeating: 0, count: index.problem.orders.count)
        occupants = [[Int32]](repeating: [], count: index.problem.slots.count)
        for (o, order) in index.problem.orders.enumerated() {
            unserved += Int64(order.priority) * Int64(max(0, order.quantity - served[o]))
        }
    }

    /// The score of the plan (hard is not checked here; the verifier does that).
    var score: Scheduling.Score {
        Scheduling.Score(hard: 0, unserved: unserved, cost: movableCost + index.pinnedCost)
    }

    var orderCount: Int { alloc.count }

    /// Units the order is short of its quantity.
    func missing(_ o: Int) -> Int { max(0, index.problem.orders[o].quantity - served[o]) }

    /// Whether the order meets its stability floor.
    func meetsFloor(_ o: Int) -> Bool { served[o] >= index.floor[o] }

    private mutating func account(_ o: Int, servedDelta: Int, costDelta: Int64) {
        let order = index.problem.orders[o]
        let before = Int64(max(0, order.quantity - served[o]))
        served[o] += servedDelta
        let after = Int64(max(0, order.quantity - served[o]))
        unserved += Int64(order.priority) * (after - before)
        orderCost[o] += costDelta
        movableCost += costDelta
    }

    /// Cost of a set of movable allocations of order o (units × price + setups of factories
    /// without pinned units).
    func cost(of o: Int, _ allocations: [Scheduling.SlotUnits]) -> Int64 {
        let slots = index.problem.slots
        let cands = index.candidates[o]
        var total: Int64 = 0
        var factories: [Int] = []
        for a in allocations {
            total += Int64(a.units) * slots[a.slot].unitCost
            let f = slots[a.slot].factory
            if !factories.contains(f) { factories.append(f) }
        }
        for f in factories {
            let pinnedHere = cands.factory.firstIndex(of: f).map { cands.existing[$0] > 0 } ?? false
            if !pinnedHere { total += index.problem.factories[f].setupCost }
        }
        return total
    }

    /// Removes all movable allocations of order o and returns them.
    @discardableResult
    mutating func remove(_ o: Int) -> [Scheduling.SlotUnits] {
        let old = alloc[o]
        var units = 0
        for a in old {
            free[a.slot] += a.units; units += a.units
            if let i = occupants[a.slot].firstIndex(of: Int32(o)) { occupants[a.slot].swapAt(i, occupants[a.slot].count - 1); occupants[a.slot].removeLast() }
        }
        alloc[o] = []
        account(o, servedDelta: -units, costDelta: -orderCost[o])
        return old
    }

    /// Sets the movable allocations of an order that currently has none.
    mutating func assign(_ o: Int, _ allocations: [Scheduling.SlotUnits], cost: Int64? = nil) {
        precondition(alloc[o].isEmpty)
        var units = 0
        for a in allocations { free[a.slot] -= a.units; units += a.units; occupants[a.slot].append(Int32(o)) }
        alloc[o] = allocations
        account(o, servedDelta: units, costDelta: cost ?? self.cost(of: o, allocations))
    }

    /// Places order o (which must have no movable units) exactly as best for itself in the
    /// current free capacity, and returns whether its stability floor holds.
    ///
    /// With `noise`, the order's prices are randomly perturbed for this placement (the plan is
    /// then scored at its real cost): the search's way to try near-best placements.
    @discardableResult
    mutating func place(_ o: Int, noise: Double = 0, rng: inout Scheduling.SeededRandom) -> Bool {
        let cands = noise > 0 ? index.candidates[o].perturbed(&rng, amount: noise) : index.candidates[o]
        return place(o, cands, realCost: noise == 0)
    }

    @discardableResult
    mutating func place(_ o: Int) -> Bool {
        place(o, index.candidates[o], realCost: true)
    }

    private mutating func place(_ o: Int, _ cands: CandidateSet, realCost: Bool) -> Bool {
        let order = index.problem.orders[o]
        let want = max(0, order.quantity - index.pinnedByOrder[o])
        if want == 0 || cands.count == 0 { return meetsFloor(o) }
        let limit = nodeLimit
        // Take the engine out while `free` is borrowed (two accesses to self would overlap);
        // swapping moves its buffers without copying them.
        var engine = PlacementEngine()
        swap(&engine, &self.engine)
        free.withUnsafeBufferPointer { buffer in
            engine.solve(cands, free: buffer, quantity: want, minLot: order.minLot,
                         maxFactories: order.maxFactories, nodeLimit: limit)
        }
        var allocations: [Scheduling.SlotUnits] = []
        for i in 0..<cands.segSlot.count where engine.take[i] > 0 {
            allocations.append(Scheduling.SlotUnits(slot: cands.segSlot[i], units: engine.take[i]))
        }
        let cost = engine.cost
        lastCostLowerBound = engine.served > 0 ? engine.lowerBound : 0
        swap(&engine, &self.engine)
        if !allocations.isEmpty { assign(o, allocations, cost: realCost ? cost : nil) }
        return meetsFloor(o)
    }

    /// The full plan: pinned allocations and the movable ones, canonical.
    func plan() -> [Scheduling.Allocation] {
        var result = index.pinned
        for (o, list) in alloc.enumerated() {
            for a in list { result.append(Scheduling.Allocation(order: o, slot: a.slot, units: a.units, pinned: false)) }
        }
        return Scheduling.canonical(result)
    }

}
