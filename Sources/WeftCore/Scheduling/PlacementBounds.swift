/// The bounds of the placement engine's branch and bound: convex envelopes, the Lagrangian
/// multiplier for the split limit, and the relaxed fill that prices a node.
extension PlacementEngine {

    /// Orders the usable factories by envelope ρ (ties: cheaper setup, then candidate order).
    mutating func orderUsable(_ cands: CandidateSet, lagrangian: Bool) {
        let rel = lagrangian ? lagrange : plain
        usable.sort { a, b in
            if rel.rho[a] != rel.rho[b] { return rel.rho[a] < rel.rho[b] }
            if cands.setup[a] != cands.setup[b] { return cands.setup[a] < cands.setup[b] }
            return a < b
        }
    }

    /// Chooses μ for the Lagrangian bound; false when the split limit does not bind at the root
    /// (μ = 0 is then already the best multiplier and nothing would be gained).
    mutating func prepareLagrange(_ cands: CandidateSet) -> Bool {
        guard let root = rootFill(cands, lagrangian: false), root.y > Double(maxNew) + 1e-9 else { return false }
        let n = cands.count
        reset(&lagrange.rho, count: n)
        reset(&lagrange.kStar, count: n)
        func evaluate(_ mu: Int64) -> (lb: Double, y: Double)? {
            lagrange.mu = mu
            for f in usable {
                let e = envelope(cands, f, mu: mu)
                lagrange.rho[f] = e.rho; lagrange.kStar[f] = e.k
            }
            lagrange.items = makeItems(cands, lagrange)
            guard let r = rootFill(cands, lagrangian: true) else { return nil }
            return (r.lb, r.y)
        }
        // Bracket: grow μ until at most maxNew factories are (fractionally) used.
        var hi: Int64 = 1
        for f in usable { hi = max(hi, cands.setup[f] + loCost[f]) }
        var tries = 0
        while let r = evaluate(hi), r.y > Double(maxNew) + 1e-9, tries < 20 { hi = hi.multipliedReportingOverflow(by: 4).partialValue; tries += 1 }
        var lo: Int64 = 0, bestMu: Int64 = 0, bestLB = root.lb
        for _ in 0..<24 where hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            guard let r = evaluate(mid) else { break }
            if r.lb > bestLB { bestLB = r.lb; bestMu = mid }
            if r.y > Double(maxNew) { lo = mid } else { hi = mid }
        }
        if let r = evaluate(hi), r.lb > bestLB { bestLB = r.lb; bestMu = hi }
        guard bestMu > 0 else { return false }
        _ = evaluate(bestMu)
        // Search in the μ-envelope order; both item lists refer to positions in that order.
        orderUsable(cands, lagrangian: true)
        plain.items = makeItems(cands, plain)
        lagrange.items = makeItems(cands, lagrange)
        buildSuffixTop()
        useLagrange = true
        return true
    }

    /// ρ = min over k in [min_lot, u_f] of (setup + μ + g_f(k))/k, and the k attaining it. Only
    /// segment ends, `min_lot` and `u_f` need checking: between two of them h(k)/k is monotone.
    func envelope(_ cands: CandidateSet, _ f: Int, mu: Int64) -> (rho: Double, k: Int) {
        let setup = cands.setup[f] + mu
        let l = minLot, u = limit[f]
        var bestH: Int64 = 0, bestK = 0
        func consider(_ k: Int, _ h: Int64) {
            // h/k < bestH/bestK, compared exactly in 128 bits.
            if bestK == 0 { bestH = h; bestK = k; return }
            let lhs = h.multipliedFullWidth(by: Int64(bestK)), rhs = bestH.multipliedFullWidth(by: Int64(k))
            if lhs.high < rhs.high || (lhs.high == rhs.high && lhs.low < rhs.low) { bestH = h; bestK = k }
        }
        var k = 0, g: Int64 = 0
        for s in cands.segStart[f]..<cands.segStart[f + 1] {
            let units = segFree[s]
            if units == 0 { continue }
            let price = cands.segPrice[s]
            let end = k + units
            if k < l && end >= l { consider(l, setup + g + Int64(l - k) * price) }
            if k < u && end >= u { consider(u, setup + g + Int64(u - k) * price); break }
            if end >= l { consider(end, setup + g + Int64(units) * price) }
            k = end; g += Int64(units) * price
        }
        return (Double(bestH) / Double(bestK), bestK)
    }

    /// Envelope items of all usable factories: (ρ_f × k*_f), then the unit costs beyond k* up to
    /// u_f, sorted by price (ties by search position).
    func makeItems(_ cands: CandidateSet, _ rel: Relaxation) -> [Item] {
        var items: [Item] = []
        items.reserveCapacity(rel.items.count)
        for (pos, f) in usable.enumerated() {
            let kStar = rel.kStar[f]
            items.append(Item(price: rel.rho[f], units: kStar, pos: pos, first: true))
            var k = 0
            for s in cands.segStart[f]..<cands.segStart[f + 1] {
                let units = segFree[s]
                if units == 0 { continue }
                let from = max(k, kStar), to = min(k + units, limit[f])
                if to > from { items.append(Item(price: Double(cands.segPrice[s]), units: to - from, pos: pos, first: false)) }
                k += units
                if k >= limit[f] { break }
            }
        }
        items.sort { a, b in a.price != b.price ? a.price < b.price : a.pos < b.pos }
        return items
    }

    /// suffixTop[d * (topWidth + 1) + j]: the sum of the j largest free totals among
    /// usable[d...], for the feasibility test of a node.
    mutating func buildSuffixTop() {
        topWidth = min(maxNew, usable.count)
        let w = topWidth + 1
        suffixTop = [Int](repeating: 0, count: (usable.count + 1) * w)
        var top: [Int] = []
        top.reserveCapacity(topWidth + 1)
        var d = usable.count - 1
        while d >= 0 {
            let a = avail[usable[d]]
            var i = top.count
            top.append(a)
            while i > 0 && top[i - 1] < a { top[i] = top[i - 1]; i -= 1 }
            top[i] = a
            if top.count > topWidth { top.removeLast() }
            var sum = 0
            for j in 0..<top.count { sum += top[j]; suffixTop[d * w + j + 1] = sum }
            for j in (top.count + 1)..<w { suffixTop[d * w + j] = sum }
            d -= 1
        }
    }

    /// Lots and room of the current set (forced + chosen).
    func setTotals() -> (low: Int, high: Int, fixed: Int64) {
        var low = 0, high = 0, fixed: Int64 = 0
        for f in forced { low += lo[f]; high += avail[f]; fixed += loCost[f] }
        for f in chosen { low += lo[f]; high += avail[f]; fixed += loCost[f] }
        return (low, high, fixed)
    }

    mutating func resetCursors(_ cands: CandidateSet) {
        mergeSet.removeAll(keepingCapacity: true)
        curSeg.removeAll(keepingCapacity: true); curOff.removeAll(keepingCapacity: true); curEnd.removeAll(keepingCapacity: true)
        for f in forced { mergeSet.append(f) }
        for f in chosen { mergeSet.append(f) }
        for f in mergeSet { curSeg.append(loSeg[f]); curOff.append(loOff[f]); curEnd.append(cands.segStart[f + 1]) }
    }

    /// Index in mergeSet of the cheapest remaining extra segment, or -1.
    @inline(__always)
    mutating func cheapestCursor(_ cands: CandidateSet) -> Int {
        var bestI = -1
        var bestPrice = Int64.max
        for i in 0..<mergeSet.count {
            while curSeg[i] < curEnd[i] && segFree[curSeg[i]] - curOff[i] <= 0 { curSeg[i] += 1; curOff[i] = 0 }
            if curSeg[i] < curEnd[i] {
                let p = cands.segPrice[curSeg[i]]
                if p < bestPrice { bestPrice = p; bestI = i }
            }
        }
        return bestI
    }

    /// Exact cost of serving `target` with exactly the current set, or nil if it cannot.
    mutating func exactCost(_ cands: CandidateSet) -> Int64? {
        let t = setTotals()
        guard t.low <= target, t.high >= target else { return nil }
        var cost = t.fixed
        for f in chosen { cost += cands.setup[f] }
        var r = target - t.low
        resetCursors(cands)
        while r > 0 {
            let i = cheapestCursor(cands)
            let s = curSeg[i]
            let amount = min(r, segFree[s] - curOff[i])
            cost += Int64(amount) * cands.segPrice[s]
            r -= amount; curOff[i] += amount
        }
        return cost
    }

    /// The relaxed cost of completing the current set with units from usable[depth...] priced by
    /// `rel`, and Σ of the fractional "factory used" amounts; nil when no completion has room.
    mutating func relaxedFill(_ cands: CandidateSet, lagrangian: Bool, depth: Int) -> (lb: Double, y: Double)? {
        let rel = lagrangian ? lagrange : plain
        let t = setTotals()
        if t.low > target { return nil }
        let room = maxNew - chosen.count
        var lb = Double(t.fixed)
        for f in chosen { lb += Double(cands.setup[f]) }
        var r = target - t.low
        var y = 0.0
        resetCursors(cands)
        var j = 0
        let useRest = room > 0
        let items = rel.items
        while r > 0 {
            let i = cheapestCursor(cands)
            if useRest { while j < items.count && items[j].pos < depth { j += 1 } }
            let itemPrice = useRest && j < items.count ? items[j].price : .infinity
            if i >= 0 && Double(cands.segPrice[curSeg[i]]) <= itemPrice {
                let s = curSeg[i]
                let amount = min(r, segFree[s] - curOff[i])
                lb += Double(amount) * Double(cands.segPrice[s])
                r -= amount; curOff[i] += amount
            } else if itemPrice < .infinity {
                let amount = min(r, items[j].units)
                lb += Double(amount) * itemPrice
                if items[j].first { y += Double(amount) / Double(items[j].units) }
                r -= amount; j += 1
            } else {
                return nil
            }
        }
        if useRest { lb -= Double(rel.mu) * Double(room) }
        return (lb, y)
    }

    mutating func rootFill(_ cands: CandidateSet, lagrangian: Bool) -> (lb: Double, y: Double)? {
        relaxedFill(cands, lagrangian: lagrangian, depth: 0)
    }

    /// Lower bound on every completion of the current set using usable[depth...]; +inf when
    /// no completion is feasible.
    mutating func bound(_ cands: CandidateSet, depth: Int) -> Double {
        let t = setTotals()
        if t.low > target { return .infinity }
        let room = maxNew - chosen.count
        if t.high < target {
            // Need j more factories: the largest room among the rest, within the lot budget.
            let jMax = min(room, usable.count - depth, (target - t.low) / minLot)
            if jMax < 1 || t.high + suffixTop[depth * (topWidth + 1) + min(jMax, topWidth)] < target { return .infinity }
        }
        guard let p = relaxedFill(cands, lagrangian: false, depth: depth) else { return .infinity }
        if useLagrange && room > 0, let l = relaxedFill(cands, lagrangian: true, depth: depth) { return max(p.lb, l.lb) }
        return p.lb
    }
}
