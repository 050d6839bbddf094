extension SolverState {
    /// Construction candidates for problems whose orders share batches, all keeping the starting
    /// plan and placing every order without units, the better finished one returned (nil when
    /// stopped before any finished):
    /// - pool by pool (pools with the most units first), each pool's orders by priority, then
    ///   due date, orders without a pool last, each order of a pool placed as if batches were
    ///   paid per unit (``SolverState/placeAmortized(_:)``): the pool fills the slots where a
    ///   full batch is cheapest per unit before any other, instead of opening its first batch
    ///   where a batch is cheapest outright, so it gathers into full batches at the factories
    ///   with the least batch cost per unit. Then each order of a pool is re-placed at its real
    ///   cost (never for the worse), which moves orders out of the part-filled last batches into
    ///   room left elsewhere. First, because on large problems it is often the only one finished;
    /// - the pooling-aware greedy (each order placed exactly where it adds least at that moment,
    ///   so it fills batches of its pool already open before opening new ones) in
    ///   ``Scheduling/marginalGreedy(_:)``'s order (priority, then due date): the search never
    ///   starts worse than that baseline;
    /// - the same pool by pool: a pool's orders come one after the other, so each fills the room
    ///   the previous ones left.
    func poolGatheringStart(shouldStop: () -> Bool) -> SolverState? {
        var best: SolverState? = nil
        let pooled = poolOrder()
        let groups = index.groups
        for (order, amortized) in [(pooled, true), (greedyOrder(), false), (pooled, false)] {
            var candidate = SolverState(index: index)
            candidate.nodeLimit = nodeLimit
            candidate.focus = focus
            candidate.loadStart()
            var finished = true
            for (i, o) in order.enumerated() where candidate.alloc[o].isEmpty {
                if i & 31 == 31 && shouldStop() { finished = false; break }
                if amortized && groups.sharesGroup(order: o) {
                    candidate.placeAmortized(o)
                } else {
                    candidate.place(o)
                }
            }
            guard finished, (0..<orderCount).allSatisfy({ candidate.meetsFloor($0) }) else { break }
            if amortized {
                for (i, o) in order.enumerated() where groups.sharesGroup(order: o) {
                    if i & 31 == 31 && shouldStop() { break }
                    Search.replaceIfBetter(&candidate, o)
                }
            }
            if best == nil || candidate.score < best!.score { best = candidate }
        }
        return best
    }

    /// Pools by total units (most first), then priority descending, then due date; orders
    /// without a pool last in greedy order.
    func poolOrder() -> [Int] {
        let orders = index.problem.orders
        let groups = index.groups
        var total = [Int](repeating: 0, count: groups.count)
        for (o, order) in orders.enumerated() { total[groups.groupOfOrder[o]] += order.quantity }
        var rank = [Int](repeating: 0, count: groups.count)
        let pooled = (0..<groups.count).filter { groups.pool[$0] != nil }
            .sorted { total[$0] != total[$1] ? total[$0] > total[$1] : $0 < $1 }
        for (r, g) in pooled.enumerated() { rank[g] = r }
        for g in 0..<groups.count where groups.pool[g] == nil { rank[g] = pooled.count }
        return orders.indices.sorted { a, b in
            let ga = rank[groups.groupOfOrder[a]], gb = rank[groups.groupOfOrder[b]]
            if ga != gb { return ga < gb }
            if orders[a].priority != orders[b].priority { return orders[a].priority > orders[b].priority }
            if orders[a].dueDate != orders[b].dueDate { return orders[a].dueDate < orders[b].dueDate }
            return a < b
        }
    }
}
