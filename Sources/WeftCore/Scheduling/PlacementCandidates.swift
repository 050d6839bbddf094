extension Scheduling {
    /// The slots an instant placement of `order` needs to look at, as indices into `slots`:
    /// those the order may use (``isEligible(order:slot:factory:asOf:)``) that have free units,
    /// and of each factory only its cheapest ones (by unit cost, then day, then position)
    /// until their free units reach the order's quantity. No plan puts more than the quantity
    /// into one factory, and a factory's cheapest units always serve at least as well as its
    /// dearer ones, so the rest cannot change the best plan; leaving them out keeps placement
    /// fast on a network with thousands of slots.
    ///
    /// A factory with a batch cost keeps, by unit cost, its slots up to the first one with free
    /// units for all the order can put there (min(quantity, the factory's usable free units)),
    /// and besides those only slots with free room in an open batch of the order's pool: moving
    /// the units a plan puts in a dearer slot without room into that first slot never costs more
    /// (same unit cost or less, no more batches, same factory; see ``ReducedPooledPlacement``).
    ///
    /// - Parameters:
    ///   - factorySlots: for each factory, the range of `slots` holding its slots: the slots
    ///     are grouped by factory. The result keeps the slots' order.
    ///   - poolUnits: units of the order's pool already in slot i (other orders'); by default
    ///     `slots[i].outsidePoolUnits[order.pool]`.
    public static func placementCandidates(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                                           factorySlots: [Range<Int>], poolUnits: ((Int) -> Int)? = nil) -> [Int] {
        var chosen: [Int] = []
        var usable: [Int] = []
        let firstDay = max(order.releaseDate, asOf)
        for (f, range) in factorySlots.enumerated() where !range.isEmpty {
            let factory = factories[f]
            // The factory-level rules once per factory; per slot only price and window remain.
            guard factoryExclusion(order: order, factory: factory) == nil else { continue }
            let lastDay = Int(order.dueDate.ordinal) - factory.leadDays
            usable.removeAll(keepingCapacity: true)
            var total = 0
            // Fields read one at a time: a whole `Slot` copied out retains its id and pool units.
            for i in range where free[i] > 0 {
                let day = slots[i].day
                guard day >= firstDay, Int(day.ordinal) <= lastDay else { continue }
                if let cap = order.maxUnitCost, slots[i].unitCost > cap { continue }
                usable.append(i)
                total += free[i]
            }
            guard !usable.isEmpty else { continue }
            if factory.batchCost > 0 {
                chosen.append(contentsOf: batchCandidates(usable, order: order, factory: factory, slots: slots, free: free,
                                                          total: total, poolUnits: poolUnits))
                continue
            }
            if total <= order.quantity {
                chosen.append(contentsOf: usable)
                continue
            }
            // The cheapest slots until their units reach the quantity: usually the first one
            // does, so pick minima one at a time rather than sorting.
            var running = 0
            var keep: [Int] = []
            while running < order.quantity {
                var best = 0
                for k in 1..<usable.count where Self.cheaper(usable[k], than: usable[best], slots) { best = k }
                let i = usable.remove(at: best)
                keep.append(i)
                running += free[i]
            }
            chosen.append(contentsOf: keep.sorted())
        }
        return chosen
    }

    /// A batch-cost factory's usable slots that can matter (see ``placementCandidates``), in order.
    private static func batchCandidates(_ usable: [Int], order: Order, factory: Factory, slots: [Slot], free: [Int], total: Int,
                                        poolUnits: ((Int) -> Int)?) -> [Int] {
        let most = min(order.quantity, total)
        var first = -1
        for i in usable where free[i] >= most {
            if first < 0 || cheaper(i, than: first, slots) { first = i }
        }
        guard first >= 0 else { return usable }
        func hasRoom(_ i: Int) -> Bool {
            guard let pool = order.pool else { return false }
            let y = poolUnits.map { $0(i) } ?? (slots[i].outsidePoolUnits[pool] ?? 0)
            guard y > 0 else { return false }
            guard let size = factory.batchUnits else { return true }
            return y % max(1, size) != 0
        }
        let firstCost = slots[first].unitCost
        return usable.filter { $0 == first || slots[$0].unitCost < firstCost || hasRoom($0) }
    }

    @inline(__always)
    private static func cheaper(_ a: Int, than b: Int, _ slots: [Slot]) -> Bool {
        let xCost = slots[a].unitCost, yCost = slots[b].unitCost
        if xCost != yCost { return xCost < yCost }
        let xDay = slots[a].day, yDay = slots[b].day
        if xDay != yDay { return xDay < yDay }
        return a < b
    }
}
