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
        for o in orders where missing(o) > 0 {
            let order = index.problem.orders[o]
            let cands = index.candidates[o]
            var units = [Int: Int]()           // factory -> units already there (pinned + movable)
            for f in 0..<cands.count where cands.existing[f] > 0 { units[cands.factory[f], default: 0] += cands.existing[f] }
            for a in alloc[o] { units[slots[a.slot].factory, default: 0] += a.units }
            let before = Set(units.keys)
            // Cheapest first, by merging the factories' segment lists (each already sorted by
            // cost) through a heap keyed by the slots' global (cost, day, index) rank: only the
            // segments actually taken are visited.
            var heap: [(rank: Int32, factory: Int32, seg: Int32)] = []
            func push(_ item: (rank: Int32, factory: Int32, seg: Int32)) {
                heap.append(item)
                var i = heap.count - 1
                while i > 0 { let p = (i - 1) / 2; if heap[p].rank <= heap[i].rank { break }; heap.swapAt(i, p); i = p }
            }
            func pop() -> (rank: Int32, factory: Int32, seg: Int32) {
                let top = heap[0]
                let last = heap.removeLast()
                if !heap.isEmpty {
                    heap[0] = last
                    var i = 0
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var m = i
                        if l < heap.count && heap[l].rank < heap[m].rank { m = l }
                        if r < heap.count && heap[r].rank < heap[m].rank { m = r }
                        if m == i { break }
                        heap.swapAt(i, m); i = m
                    }
                }
                return top
            }
            // Within a factory equal costs are ordered later-day first; the heap's rank restores
            // the baseline's earliest-first order only across factories, which is all it needs.
            for f in 0..<cands.count where cands.segStart[f] < cands.segStart[f + 1] {
                let seg = cands.segStart[f]
                push((rank[cands.segSlot[seg]], Int32(f), Int32(seg)))
            }
            var remaining = missing(o)
            var added: [Scheduling.SlotUnits] = []
            while remaining > 0 && !heap.isEmpty {
                let item = pop()
                let seg = Int(item.seg), f = Int(item.factory)
                if seg + 1 < cands.segStart[f + 1] { push((rank[cands.segSlot[seg + 1]], item.factory, Int32(seg + 1))) }
                let s = cands.segSlot[seg]          // each slot appears once among the segments
                let factory = slots[s].factory
                let avail = free[s]
                if avail <= 0 { continue }
                if units[factory] == nil && units.count >= order.maxFactories { continue }
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
