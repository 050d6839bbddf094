import HeapModule

extension Scheduling {
    /// A proven lower bound that stays cheap on problems far too large for the flow bound
    /// (2,000 orders × 1,000 factories × 30 days: about 10⁶ (order, factory) arcs): Lagrangian
    /// relaxation of the slots' capacities with multipliers `λ_s = max(0, τ − unit cost_s)` (one
    /// "market price" τ), each order then solved alone and fractionally. Every τ gives a valid
    /// bound: τ = 0 (each order alone in all the capacity) is always computed, so that a run
    /// always reports a bound (a fixed amount of work, linear in the candidate slots); more
    /// are tried while `shouldStop` allows and the best is kept. Nil only on overflow.
    ///
    /// **Why it bounds the score.** Unserved: order o can get at most `n_o` = min(its remaining
    /// quantity, the capacity of its eligible slots) units, so no plan has unserved below
    /// U = Σ priority × (remaining − n_o); a plan with exactly U serves every order exactly n_o.
    /// Cost of such a plan x: for λ ≥ 0, Σ_s λ_s·x_s ≤ Σ_s λ_s·capacity_s, hence
    /// cost(x) ≥ Σ_o [cost_o(x_o) + λ·x_o] − λ·capacity ≥ Σ_o min_o(λ) − λ·capacity, where
    /// min_o(λ) is the least cost of n_o units for o alone at unit costs `c_s + λ_s` with the
    /// setup replaced by the per-unit charge `setup_f / u(o,f)` of the flow bound (u(o,f) the
    /// most units o can make at f, capped at n_o), lot and split limits dropped: fractional,
    /// so the n_o cheapest units. Scaled by K and rounded down as in the flow bound.
    static func lagrangianBound(_ index: ProblemIndex, shouldStop: () -> Bool) -> Bound? {
        let problem = index.problem
        let orders = problem.orders
        let k: Int64 = 1024
        // Per pair: room (capacity of its eligible slots) and the position of its cheapest
        // usable slot in the factory's price-sorted list; per order: n_o. Local copies keep the
        // loops free of reference counting.
        let byPrice = index.factoryByPrice, slotDay = index.slotDay, slotPrice = index.slotPrice
        let capacity = index.capacity, pairFactory = index.pairFactory, pairLast = index.pairLast
        // Per factory: its slots by day with prefix sums of capacity (room of a window without
        // a price cap by two binary searches).
        var byDay: [[Int32]] = [], prefix: [[Int]] = []
        for list in byPrice {
            let sorted = list.sorted { slotDay[Int($0)] < slotDay[Int($1)] }
            var sums = [0]
            for s in sorted { sums.append(sums[sums.count - 1] + capacity[Int(s)]) }
            byDay.append(sorted); prefix.append(sums)
        }
        var room = [Int](repeating: 0, count: index.pairCount)
        var firstPos = [Int32](repeating: -1, count: index.pairCount)
        var firstPrice = [Int64](repeating: 0, count: index.pairCount)
        var served = [Int](repeating: 0, count: orders.count)
        var unserved: Int64 = 0
        let maxPrice = slotPrice.max() ?? 0
        for o in orders.indices {
            let want = max(0, orders[o].quantity - index.pinnedByOrder[o])
            let first = index.orderFirst[o], cap = index.orderCap[o]
            var total = 0
            for p in index.pairs(o) where pairLast[p] != .min {
                let f = Int(pairFactory[p]), last = pairLast[p]
                let list = byPrice[f]
                var r = 0
                if cap == .max {
                    let days = byDay[f]
                    func lowerBound(_ day: Int32) -> Int {
                        var lo = 0, hi = days.count
                        while lo < hi { let mid = (lo + hi) / 2; if slotDay[Int(days[mid])] < day { lo = mid + 1 } else { hi = mid } }
                        return lo
                    }
                    r = prefix[f][lowerBound(last &+ 1)] - prefix[f][lowerBound(first)]
                    for i in list.indices {
                        let s = Int(list[i])
                        if slotDay[s] >= first && slotDay[s] <= last && capacity[s] > 0 { firstPos[p] = Int32(i); firstPrice[p] = slotPrice[s]; break }
                    }
                } else {
                    for i in list.indices {
                        let s = Int(list[i])
                        guard slotDay[s] >= first && slotDay[s] <= last && slotPrice[s] <= cap && capacity[s] > 0 else { continue }
                        if firstPos[p] < 0 { firstPos[p] = Int32(i); firstPrice[p] = slotPrice[s] }
                        r += capacity[s]
                    }
                }
                room[p] = r
                total += r
            }
            served[o] = min(want, total)
            unserved += Int64(orders[o].priority) * Int64(want - served[o])
        }
        // Overflow guard: scaled unit costs times units must stay far inside Int64.
        let totalUnits = Double(served.reduce(0, +)), totalCapacity = Double(index.capacity.reduce(0, +))
        let maxSetup = Double(problem.factories.map { $0.setupCost + $0.batchCost }.max() ?? 0)
        guard (Double(maxPrice) + maxSetup) * Double(k) * max(totalUnits, totalCapacity) < 1e18 else { return nil }

        // Charge per pair (scaled), independent of τ.
        var charge = [Int64](repeating: 0, count: index.pairCount)
        for o in orders.indices where served[o] > 0 {
            for p in index.pairs(o) where room[p] > 0 {
                let f = Int(index.pairFactory[p])
                if index.pairExisting[p] == 0 { charge[p] = index.factorySetup[f] * k / Int64(min(room[p], served[o])) }
                charge[p] += index.batchCharge(order: o, factory: f, room: room[p], scale: k)
            }
        }

        /// The scaled bound on cost (movable part) for market price τ, nil if stopped (τ = 0
        /// is never stopped).
        func evaluate(_ tau: Int64) -> Int64? {
            var total: Int64 = 0
            for s in capacity.indices where slotPrice[s] < tau {
                total -= (tau - slotPrice[s]) * Int64(capacity[s]) * k
            }
            for o in orders.indices where served[o] > 0 {
                if tau > 0 && o & 63 == 63 && shouldStop() { return nil }
                let first = index.orderFirst[o], cap = index.orderCap[o]
                func next(_ p: Int, _ from: Int) -> Int {
                    let last = pairLast[p]
                    let list = byPrice[Int(pairFactory[p])]
                    var i = from
                    while i < list.count {
                        let s = Int(list[i])
                        if slotDay[s] >= first && slotDay[s] <= last && slotPrice[s] <= cap && capacity[s] > 0 { return i }
                        i += 1
                    }
                    return -1
                }
                func unitCost(_ p: Int, _ pos: Int) -> Int64 {
                    let s = Int(byPrice[Int(pairFactory[p])][pos])
                    return max(slotPrice[s], tau) * k + charge[p]
                }
                // Min-heap on unit cost; cheapest units first until n_o are taken.
                var heap = Heap(index.pairs(o).compactMap { p -> PairCursor? in
                    firstPos[p] >= 0 ? PairCursor(key: max(firstPrice[p], tau) * k + charge[p], pair: Int32(p), pos: firstPos[p]) : nil
                })
                var left = served[o]
                while left > 0, let top = heap.min {
                    let p = Int(top.pair)
                    let s = Int(byPrice[Int(pairFactory[p])][Int(top.pos)])
                    let take = min(left, capacity[s])
                    total += Int64(take) * top.key
                    left -= take
                    let following = next(p, Int(top.pos) + 1)
                    if following >= 0 {
                        heap.replaceMin(with: PairCursor(key: unitCost(p, following), pair: top.pair, pos: Int32(following)))
                    } else {
                        heap.removeMin()
                    }
                }
            }
            return total
        }

        guard var best = evaluate(0) else { return nil }
        // τ from the cheapest unit cost upwards on a coarse grid, then around the best: any τ
        // is valid, so stopping early only loses tightness.
        let prices = slotPrice.sorted()
        if let low = prices.first, let high = prices.last, high > low {
            var bestTau: Int64 = 0
            // Quantiles of the unit costs as candidate market prices.
            var candidates: [Int64] = []
            for q in [0.05, 0.15, 0.3] { candidates.append(prices[Int(Double(prices.count - 1) * q)]) }
            for tau in candidates where !shouldStop() {
                if let value = evaluate(tau), value > best { best = value; bestTau = tau }
            }
            // Refine around the best by halving steps.
            var step = max(1, (high - low) / 40), rounds = 0
            while step >= 1 && rounds < 8 && !shouldStop() {
                rounds += 1
                var moved = false
                for tau in [bestTau - step, bestTau + step] where tau > 0 && !shouldStop() {
                    if let value = evaluate(tau), value > best { best = value; bestTau = tau; moved = true }
                }
                if !moved { step /= 2 }
            }
        }
        let cost = index.pinnedCost + index.pinnedBatchCost + max(0, (best + k - 1) / k)
        return Bound(unserved: unserved, cost: cost)
    }
}
