extension SolverState {
    /// Construction candidates for problems whose orders share batches, each built like the
    /// pooling-aware greedy (the starting plan kept, every order without units placed exactly
    /// where it adds least at that moment, so it fills batches of its pool already open before
    /// opening new ones) in one of two orders:
    /// - priority, then due date (``Scheduling/marginalGreedy(_:)``'s order): the search never
    ///   starts worse than that baseline;
    /// - pool by pool (pools with the most units first), each pool's orders by priority, then
    ///   due date, orders without a pool last: a pool's orders come one after the other, so each
    ///   fills the room the previous ones left and the pool gathers into full batches before
    ///   other pools take the capacity.
    /// Returns the better of the two finished ones (nil when stopped before either finished).
    func poolGatheringStart(shouldStop: () -> Bool) -> SolverState? {
        var best: SolverState? = nil
        for order in [greedyOrder(), poolOrder()] {
            var candidate = SolverState(index: index)
            candidate.nodeLimit = nodeLimit
            candidate.focus = focus
            candidate.loadStart()
            var finished = true
            for (i, o) in order.enumerated() where candidate.alloc[o].isEmpty {
                if i & 31 == 31 && shouldStop() { finished = false; break }
                candidate.place(o)
            }
            guard finished, (0..<orderCount).allSatisfy({ candidate.meetsFloor($0) }) else { break }
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
