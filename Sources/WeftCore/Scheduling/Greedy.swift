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
        for o in orders where missing(o) > 0 {
            let order = index.problem.orders[o]
            let cands = index.candidates[o]
            var units = [Int: Int]()           // factory -> units already there (pinned + movable)
            for f in 0..<cands.count where cands.existing[f] > 0 { units[cands.factory[f], default: 0] += cands.existing[f] }
            for a in alloc[o] { units[slots[a.slot].factory, default: 0] += a.units }
            let before = Set(units.keys)
            var segments: [Int] = Array(0..<cands.segSlot.count)
            segments.sort { (cands.segPrice[$0], slots[cands.segSlot[$0]].day, $0) < (cands.segPrice[$1], slots[cands.segSlot[$1]].day, $1) }
            var remaining = missing(o)
            var added: [Scheduling.SlotUnits] = []
            for seg in segments where remaining > 0 {
                let s = cands.segSlot[seg]
                let f = slots[s].factory
                let already = added.first(where: { $0.slot == s })?.units ?? 0
                let avail = free[s] - already
                if avail <= 0 { continue }
                if units[f] == nil && units.count >= order.maxFactories { continue }
                let t = min(avail, remaining)
                added.append(Scheduling.SlotUnits(slot: s, units: t))
                units[f, default: 0] += t
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
