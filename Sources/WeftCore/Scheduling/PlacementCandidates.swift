extension Scheduling {
    /// The slots an instant placement of `order` needs to look at, as indices into `slots`:
    /// those the order may use (``isEligible(order:slot:factory:asOf:)``) that have free units,
    /// and of each factory only its cheapest ones (by unit cost, then day, then position)
    /// until their free units reach the order's quantity. No plan puts more than the quantity
    /// into one factory, and a factory's cheapest units always serve at least as well as its
    /// dearer ones, so the rest cannot change the best plan; leaving them out keeps placement
    /// fast on a network with thousands of slots. Factories with a batch cost keep every usable
    /// slot: a slot's cost then depends on the batches open there, not only on its unit cost.
    ///
    /// - Parameters:
    ///   - factorySlots: for each factory, the range of `slots` holding its slots: the slots
    ///     are grouped by factory. The result keeps the slots' order.
    public static func placementCandidates(order: Order, asOf: Day, factories: [Factory], slots: [Slot], free: [Int],
                                           factorySlots: [Range<Int>]) -> [Int] {
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
            for i in range where free[i] > 0 {
                let slot = slots[i]
                guard slot.day >= firstDay, Int(slot.day.ordinal) <= lastDay else { continue }
                if let cap = order.maxUnitCost, slot.unitCost > cap { continue }
                usable.append(i)
                total += free[i]
            }
            guard !usable.isEmpty else { continue }
            // With a batch cost, a dearer slot can be cheaper overall (an open batch of the
            // order's pool, or one slot instead of several part-filled batches): keep them all.
            if total <= order.quantity || factory.batchCost > 0 {
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

    @inline(__always)
    private static func cheaper(_ a: Int, than b: Int, _ slots: [Slot]) -> Bool {
        let x = slots[a], y = slots[b]
        if x.unitCost != y.unitCost { return x.unitCost < y.unitCost }
        if x.day != y.day { return x.day < y.day }
        return a < b
    }
}
