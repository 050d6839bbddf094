extension SolverState {
    /// Exact repair of a small destroyed part: re-places `orders` (which hold no movable units)
    /// jointly optimally — most priority-weighted units, then least cost — by enumerating every
    /// valid integer plan of each order over its candidate slots and every compatible
    /// combination. Order-by-order insertion can miss such joint optima (one order must take a
    /// dearer slot so that another fits); this cannot, but it is exponential, so it gives up
    /// (returning false, nothing changed) as soon as the enumeration exceeds `workLimit`.
    /// Stability floors are honoured; false also when no combination meets them. With batch
    /// costs a combination also pays the batches its orders add together (an order joining a
    /// batch another one of the part opened pays nothing more), so joint optima that share
    /// batches are found as well.
    mutating func exactRepair(_ orders: [Int], workLimit: Int) -> Bool {
        // Cheap refusal of parts that are obviously too large to enumerate.
        for o in orders {
            let want = index.problem.orders[o].quantity - index.pinnedByOrder[o]
            if want > 16 || index.segmentCount[o] > 12 { return false }
        }
        var work = 0
        // Every valid plan of each order: (allocations, served, cost).
        var options: [[(alloc: [Scheduling.SlotUnits], served: Int, cost: Int64)]] = []
        for o in orders {
            let order = index.problem.orders[o]
            let cands = index.candidates[o]
            let want = max(0, order.quantity - index.pinnedByOrder[o])
            var segs: [Int] = []
            for i in 0..<cands.segSlot.count where free[cands.segSlot[i]] > 0 { segs.append(i) }
            var list: [(alloc: [Scheduling.SlotUnits], served: Int, cost: Int64)] = []
            var x = [Int](repeating: 0, count: segs.count)
            var aborted = false
            func visit(_ i: Int, _ left: Int) {
                if aborted { return }
                work += 1
                if work > workLimit { aborted = true; return }
                if i == segs.count {
                    // Lots and split limit, counting pinned units.
                    var units = [Int](repeating: 0, count: cands.count)
                    var alloc: [Scheduling.SlotUnits] = []
                    var served = 0, cost: Int64 = 0
                    var factoryOf = 0
                    for (k, seg) in segs.enumerated() where x[k] > 0 {
                        while cands.segStart[factoryOf + 1] <= seg { factoryOf += 1 }
                        units[factoryOf] += x[k]
                        alloc.append(Scheduling.SlotUnits(slot: cands.segSlot[seg], units: x[k]))
                        served += x[k]
                        cost += Int64(x[k]) * cands.segPrice[seg]
                    }
                    var used = 0
                    for f in 0..<cands.count {
                        let total = units[f] + cands.existing[f]
                        if total == 0 { continue }
                        used += 1
                        // A lot must be complete where new units go, and where pinned units
                        // started one that the plan must keep.
                        if (units[f] > 0 || index.lotToKeep[o][f]) && total < order.minLot { return }
                        if units[f] > 0 && cands.existing[f] == 0 { cost += cands.setup[f] }
                    }
                    if used > max(order.maxFactories, cands.existing.filter { $0 > 0 }.count) { return }
                    list.append((alloc, served, cost))
                    return
                }
                let cap = min(left, free[cands.segSlot[segs[i]]])
                for units in 0...cap {
                    x[i] = units
                    visit(i + 1, left - units)
                }
                x[i] = 0
            }
            visit(0, want)
            if aborted { return false }
            options.append(list)
        }

        // Every compatible combination.
        let priorities = orders.map { Int64(index.problem.orders[$0].priority) }
        let wants = orders.map { max(0, index.problem.orders[$0].quantity - index.pinnedByOrder[$0]) }
        let pinned = orders.map { index.pinnedByOrder[$0] }
        var best: (unserved: Int64, cost: Int64)? = nil
        var bestChoice: [Int] = []
        var choice = [Int](repeating: 0, count: orders.count)
        var room = free
        var aborted = false
        // Units each (slot, group) gains from the combination so far (batch costs only).
        var gained: [SIMD2<Int>: Int] = [:]
        let groupOf = orders.map { index.groups.groupOfOrder[$0] }
        func combine(_ k: Int, _ unserved: Int64, _ cost: Int64) {
            if aborted { return }
            work += 1
            if work > workLimit { aborted = true; return }
            if let b = best, unserved > b.unserved || (unserved == b.unserved && cost >= b.cost) {
                // Costs only grow and unserved can only grow: prune.
                return
            }
            if k == orders.count {
                best = (unserved, cost)
                bestChoice = choice
                return
            }
            for (c, option) in options[k].enumerated() {
                if pinned[k] + option.served < index.floor[orders[k]] { continue }
                if option.alloc.contains(where: { room[$0.slot] < $0.units }) { continue }
                for a in option.alloc { room[a.slot] -= a.units }
                var batches: Int64 = 0
                if index.hasBatchCost {
                    for a in option.alloc where index.factoryBatchCost[index.slotFactory[a.slot]] > 0 {
                        let key = SIMD2(a.slot, groupOf[k])
                        let before = groupUnits(of: orders[k], slot: a.slot) + (gained[key] ?? 0)
                        batches += index.addedBatchCost(slot: a.slot, from: before, to: before + a.units)
                        gained[key, default: 0] += a.units
                    }
                }
                choice[k] = c
                combine(k + 1, unserved + priorities[k] * Int64(wants[k] - option.served), cost + option.cost + batches)
                for a in option.alloc { room[a.slot] += a.units }
                if index.hasBatchCost {
                    for a in option.alloc where index.factoryBatchCost[index.slotFactory[a.slot]] > 0 {
                        gained[SIMD2(a.slot, groupOf[k]), default: 0] -= a.units
                    }
                }
            }
        }
        combine(0, 0, 0)
        if aborted || best == nil { return false }
        for (k, o) in orders.enumerated() {
            let option = options[k][bestChoice[k]]
            if !option.alloc.isEmpty { assign(o, option.alloc, cost: option.cost) }
        }
        return true
    }
}
