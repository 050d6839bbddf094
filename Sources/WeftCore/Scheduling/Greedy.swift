import HeapModule

extension SolverState {
    /// Loads the starting plan's movable allocations that are still eligible (clipped to the
    /// free units, should the starting plan overbook a slot).
    mutating func loadStart() {
        for o in 0..<orderCount {
            var kept: [Scheduling.SlotUnits] = []
            for a in index.startMovable[o] {
                let units = min(a.units, free[a.slot] - kept.filter { $0.slot == a.slot }.reduce(0) { $0 + $1.units })
                if units > 0 { kept.append(Scheduling.SlotUnits(slot: a.slot, units: units)) }
            }
            if !kept.isEmpty { assign(o, kept) }
        }
    }
}

extension Scheduling {
    /// The naive baseline the benchmarks compare against: keep the current plan, then take the
    /// orders by priority (highest first), then due date (earliest first), and give each the
    /// cheapest eligible free units, slot by slot, ignoring setup costs; a new factory is opened
    /// only while the order is under its split limit, and a factory left below `min_lot` is given
    /// back. Valid (hard = 0) whenever the starting plan is.
    public static func naiveGreedy(_ problem: Problem) -> [Allocation] {
        var state = SolverState(index: ProblemIndex(problem))
        state.loadStart()
        state.naiveFill(orders: state.greedyOrder())
        return state.plan()
    }
}

extension Scheduling {
    /// The pooling-aware baseline: keep the current plan, then take the orders without units by
    /// priority, then due date, and place each exactly where it adds the least to the plan's
    /// cost at that moment (what instant placement does, one order after the other): it fills
    /// batches of its pool already open before opening new ones, but never moves an order
    /// placed before it.
    public static func marginalGreedy(_ problem: Problem) -> [Allocation] {
        var state = SolverState(index: ProblemIndex(problem))
        state.focus = 0
        state.nodeLimit = 50_000
        state.loadStart()
        for o in state.greedyOrder() where state.alloc[o].isEmpty { state.place(o) }
        return state.plan()
    }
}

extension SolverState {
    /// Priority descending, then due date, then index.
    func greedyOrder() -> [Int] {
        let orders = index.problem.orders
        return orders.indices.sorted { a, b in
            if orders[a].priority != orders[b].priority { return orders[a].priority > orders[b].priority }
            if orders[a].dueDate != orders[b].dueDate { return orders[a].dueDate < orders[b].dueDate }
            return a < b
        }
    }

    /// The naive fill of each order in turn (see ``Scheduling/naiveGreedy(_:)``).
    mutating func naiveFill(orders: [Int]) {
        let slots = index.problem.slots
        var byPrice = Array(slots.indices)
        byPrice.sort { (slots[$0].unitCost, slots[$0].day, $0) < (slots[$1].unitCost, slots[$1].day, $1) }
        var rank = [Int32](repeating: 0, count: slots.count)
        for (r, s) in byPrice.enumerated() { rank[s] = Int32(r) }
        // Local copies of the index's arrays: nested functions reading `index` through `self`
        // would copy the whole index on every call.
        let byPriceLists = index.factoryByPrice, slotDay = index.slotDay, slotPrice = index.slotPrice
        let pairLast = index.pairLast, pairFactory = index.pairFactory, pairExisting = index.pairExisting
        let pairStart = index.pairStart
        for o in orders where missing(o) > 0 {
            let order = index.problem.orders[o]
            var units = [Int: Int]()           // factory -> units already there (pinned + movable)
            for p in pairStart[o]..<pairStart[o + 1] where pairExisting[p] > 0 { units[Int(pairFactory[p]), default: 0] += pairExisting[p] }
            for a in alloc[o] { units[slots[a.slot].factory, default: 0] += a.units }
            let before = Set(units.keys)
            let first = index.orderFirst[o], cap = index.orderCap[o]
            // The next position at or after `pos` in pair p's factory list inside the order's
            // window and price cap, or -1.
            func next(_ p: Int, _ pos: Int) -> Int {
                let last = pairLast[p]
                guard last != .min else { return -1 }
                let list = byPriceLists[Int(pairFactory[p])]
                var i = pos
                while i < list.count {
                    let s = Int(list[i])
                    if slotDay[s] >= first && slotDay[s] <= last && slotPrice[s] <= cap { return i }
                    i += 1
                }
                return -1
            }
            // Cheapest first, by merging the factories' segment lists (each already sorted by
            // cost) through a heap keyed by the slots' global (cost, day, index) rank: only the
            // segments actually taken are visited. The heap holds the order's candidate
            // factories keyed by the rank of their cheapest remaining segment (`pos`: position
            // in the factory's price-sorted list).
            var heap = Heap((pairStart[o]..<pairStart[o + 1]).compactMap { p -> PairCursor? in
                let pos = next(p, 0)
                guard pos >= 0 else { return nil }
                return PairCursor(key: Int64(rank[Int(byPriceLists[Int(pairFactory[p])][pos])]), pair: Int32(p), pos: Int32(pos))
            })
            var remaining = missing(o)
            var added: [Scheduling.SlotUnits] = []
            while remaining > 0, let item = heap.popMin() {
                let p = Int(item.pair)
                let list = byPriceLists[Int(pairFactory[p])]
                let s = Int(list[Int(item.pos)])    // each slot appears once among the segments
                let factory = Int(pairFactory[p])
                // A factory the order cannot open any more is dropped with all its segments
                // (the count of factories only grows).
                if units[factory] == nil && units.count >= order.maxFactories { continue }
                let following = next(p, Int(item.pos) + 1)
                if following >= 0 { heap.insert(PairCursor(key: Int64(rank[Int(list[following])]), pair: item.pair, pos: Int32(following))) }
                let avail = free[s]
                if avail <= 0 { continue }
                let t = min(avail, remaining)
                added.append(Scheduling.SlotUnits(slot: s, units: t))
                units[factory, default: 0] += t
                remaining -= t
            }
            // Give back factories opened here that stay below the minimum lot.
            let short = Set(units.filter { !before.contains($0.key) && $0.value < order.minLot }.map(\.key))
            added.removeAll { short.contains(slots[$0.slot].factory) }
            if added.isEmpty { continue }
            var merged = remove(o)
            for a in added {
                if let i = merged.firstIndex(where: { $0.slot == a.slot }) { merged[i].units += a.units } else { merged.append(a) }
            }
            assign(o, merged)
        }
    }
}
