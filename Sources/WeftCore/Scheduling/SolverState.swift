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
    /// Per slot (of factories with a batch cost): movable units of each pool group.
    var movableGroupUnits: [[(group: Int32, units: Int)]]
    /// The batch cost movable units add over the index's base units (pinned and outside).
    private(set) var movableBatchCost: Int64 = 0
    private var engine = AnyPlacementEngine()
    /// Node limit for each placement (the solver may make thousands per second).
    var nodeLimit = 5_000
    /// When an order has more candidate factories than this, the search places it among the
    /// `focus` most promising ones only (by setup spread over the room, plus cheapest free unit
    /// cost; factories it is pinned in always count), at least enough for three times its
    /// quantity. That keeps the search's placements fast on very wide problems; the result is
    /// still valid, just not provably best for the order. 0 turns it off (instant placement
    /// never uses it).
    var focus = 48
    /// Proven lower bound on the cost of the last placement (its cost when it was exact).
    private(set) var lastCostLowerBound: Int64 = 0

    init(index: ProblemIndex) {
        self.index = index
        free = index.capacity
        alloc = [[Scheduling.SlotUnits]](repeating: [], count: index.problem.orders.count)
        served = index.pinnedByOrder
        orderCost = [Int64](repeating: 0, count: index.problem.orders.count)
        occupants = [[Int32]](repeating: [], count: index.problem.slots.count)
        movableGroupUnits = [[(group: Int32, units: Int)]](repeating: [], count: index.hasBatchCost ? index.problem.slots.count : 0)
        for (o, order) in index.problem.orders.enumerated() {
            unserved += Int64(order.priority) * Int64(max(0, order.quantity - served[o]))
        }
    }

    /// The score of the plan (hard is not checked here; the verifier does that).
    var score: Scheduling.Score {
        Scheduling.Score(hard: 0, unserved: unserved, cost: movableCost + index.pinnedCost + index.pinnedBatchCost + movableBatchCost)
    }

    /// Units of order o's pool group in slot s other than o's movable ones (o must hold none).
    @inline(__always)
    func groupUnits(of o: Int, slot s: Int) -> Int {
        guard index.hasBatchCost else { return 0 }
        let g = Int32(index.groups.groupOfOrder[o])
        return ProblemIndex.units(of: g, in: index.baseGroupUnits[s]) + ProblemIndex.units(of: g, in: movableGroupUnits[s])
    }

    /// Moves `units` (may be negative) of order o into slot s's group count, keeping the batch
    /// cost up to date.
    @inline(__always)
    private mutating func changeGroup(_ o: Int, slot s: Int, by units: Int) {
        guard index.hasBatchCost, index.factoryBatchCost[index.slotFactory[s]] > 0 else { return }
        let g = Int32(index.groups.groupOfOrder[o])
        let before = ProblemIndex.units(of: g, in: index.baseGroupUnits[s]) + ProblemIndex.units(of: g, in: movableGroupUnits[s])
        movableBatchCost += index.addedBatchCost(slot: s, from: before, to: before + units)
        ProblemIndex.add(units, to: g, in: &movableGroupUnits[s])
    }

    var orderCount: Int { alloc.count }

    /// Units the order is short of its quantity.
    func missing(_ o: Int) -> Int { max(0, index.problem.orders[o].quantity - served[o]) }

    /// Whether the order meets its stability floor and keeps complete every lot that pinned
    /// units started (see `ProblemIndex.lotToKeep`).
    func meetsFloor(_ o: Int) -> Bool {
        guard served[o] >= index.floor[o] else { return false }
        let keep = index.lotToKeep[o]
        let base = index.pairStart[o]
        for i in keep.indices where keep[i] {
            let f = Int(index.pairFactory[base + i])
            var total = index.pairExisting[base + i]
            for a in alloc[o] where index.slotFactory[a.slot] == f { total += a.units }
            if total < index.problem.orders[o].minLot { return false }
        }
        return true
    }

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
        var total: Int64 = 0
        var factories: [Int] = []
        for a in allocations {
            total += Int64(a.units) * slots[a.slot].unitCost
            let f = slots[a.slot].factory
            if !factories.contains(f) { factories.append(f) }
        }
        for f in factories {
            let pinnedHere = index.pairPosition(o, factory: f).map { index.pairExisting[index.pairStart[o] + $0] > 0 } ?? false
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
            changeGroup(o, slot: a.slot, by: -a.units)
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
        for a in allocations {
            free[a.slot] -= a.units; units += a.units; occupants[a.slot].append(Int32(o))
            changeGroup(o, slot: a.slot, by: a.units)
        }
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
        let narrowed = focused(o)
        let cands = noise > 0 ? narrowed.perturbed(&rng, amount: noise) : narrowed
        return place(o, cands, realCost: noise == 0)
    }

    @discardableResult
    mutating func place(_ o: Int) -> Bool {
        place(o, focused(o), realCost: true)
    }

    /// The order's candidates narrowed to the `focus` most promising factories (see `focus`).
    func focused(_ o: Int) -> CandidateSet {
        let pairs = index.pairs(o)
        guard focus > 0, pairs.count > focus else { return index.candidateSet(o) }
        let order = index.problem.orders[o]
        let want = max(1, order.quantity - index.pinnedByOrder[o])
        var scored: [(score: Double, f: Int, room: Int)] = []
        scored.reserveCapacity(pairs.count)
        let cached = index.cachedSets[o]
        for p in pairs {
            let f = p - pairs.lowerBound
            var room = 0
            var cheapest = Int64.max
            if let cands = cached {
                for i in cands.segStart[f]..<cands.segStart[f + 1] where free[cands.segSlot[i]] > 0 {
                    room += free[cands.segSlot[i]]
                    cheapest = min(cheapest, cands.segPrice[i])
                }
            } else {
                free.withUnsafeBufferPointer { free in
                    index.forEachSegment(o, pair: p) { s in
                        let units = free[s]
                        if units > 0 {
                            room += units
                            cheapest = min(cheapest, index.slotPrice[s])
                        }
                    }
                }
            }
            if index.pairExisting[p] > 0 { scored.append((-.infinity, f, room)); continue }
            guard room >= order.minLot else { continue }
            let setup = index.factorySetup[Int(index.pairFactory[p])]
            scored.append((Double(cheapest) + Double(setup) / Double(min(room, want)), f, room))
        }
        scored.sort { $0.score != $1.score ? $0.score < $1.score : $0.f < $1.f }
        var keep: [Int] = []
        var room = 0
        for item in scored where keep.count < focus || room < 3 * want {
            keep.append(item.f)
            room += item.room
        }
        keep.sort()
        guard let cands = index.cachedSets[o] else { return index.buildSet(o, only: keep) }
        // A materialised set: copying its slices is cheaper than filtering again.
        var narrowed = CandidateSet()
        for f in keep {
            narrowed.factory.append(cands.factory[f])
            narrowed.setup.append(cands.setup[f])
            narrowed.existing.append(cands.existing[f])
            narrowed.batchCost.append(cands.batchCost[f])
            narrowed.batchUnits.append(cands.batchUnits[f])
            narrowed.segSlot.append(contentsOf: cands.segSlot[cands.segStart[f]..<cands.segStart[f + 1]])
            narrowed.segPrice.append(contentsOf: cands.segPrice[cands.segStart[f]..<cands.segStart[f + 1]])
            narrowed.segStart.append(narrowed.segSlot.count)
        }
        return narrowed
    }

    /// Places order o (no movable units) as if each batch were paid per unit: every candidate
    /// factory's batch cost becomes its batch cost per unit (batch cost ÷ batch units; with
    /// unlimited batches, ÷ its largest candidate slot) added to each unit's cost, and no batch
    /// is rounded up. An order of a pool then goes where a full batch is cheapest per unit, as
    /// if the rest of its batch were filled by the other orders of its pool: placed one after
    /// another, a pool's orders fill the slots with the least batch cost per unit first (see
    /// ``SolverState/poolGatheringStart(shouldStop:)``). The plan is scored at its real cost.
    @discardableResult
    mutating func placeAmortized(_ o: Int) -> Bool {
        var cands = focused(o)
        for f in 0..<cands.count where cands.batchCost[f] > 0 {
            let range = cands.segStart[f]..<cands.segStart[f + 1]
            var size = cands.batchUnits[f]
            if size == 0 { for i in range { size = max(size, index.capacity[cands.segSlot[i]]) } }
            let rate = Int64((Double(cands.batchCost[f]) / Double(max(1, size))).rounded())
            for i in range { cands.segPrice[i] += rate }
            cands.batchCost[f] = 0
        }
        return place(o, cands, realCost: false)
    }

    private mutating func place(_ o: Int, _ cands: CandidateSet, realCost: Bool) -> Bool {
        let order = index.problem.orders[o]
        let want = max(0, order.quantity - index.pinnedByOrder[o])
        if want == 0 || cands.count == 0 { return meetsFloor(o) }
        let limit = nodeLimit
        // Take the engine out while `free` is borrowed (two accesses to self would overlap);
        // swapping moves its buffers without copying them.
        var engine = AnyPlacementEngine()
        swap(&engine, &self.engine)
        let pooled = cands.hasBatchCost
        let group = pooled ? cands.segSlot.map { groupUnits(of: o, slot: $0) } : []
        free.withUnsafeBufferPointer { buffer in
            engine.solve(cands, free: buffer, groupUnits: group, quantity: want, minLot: order.minLot,
                         maxFactories: order.maxFactories, nodeLimit: limit)
        }
        var allocations: [Scheduling.SlotUnits] = []
        let take = engine.take
        for i in 0..<cands.segSlot.count where take[i] > 0 {
            allocations.append(Scheduling.SlotUnits(slot: cands.segSlot[i], units: take[i]))
        }
        let cost = engine.cost
        lastCostLowerBound = engine.served > 0 ? engine.lowerBound : 0
        swap(&engine, &self.engine)
        // With batch costs the engine's cost includes the batches added; orderCost does not.
        if !allocations.isEmpty { assign(o, allocations, cost: realCost && !pooled ? cost : nil) }
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
