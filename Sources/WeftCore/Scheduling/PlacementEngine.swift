/// Exact single-order placement: the most units, then the least cost, for one order alone.
///
/// **Problem.** Candidate factories f have free units in slots at unit costs; using f costs
/// its setup once plus the cheapest units taken, so `h_f(k) = setup_f + g_f(k)` where `g_f(k)`
/// is the sum of the k cheapest free unit costs of f (convex in k). Choose how many units
/// `k_f` each factory makes: `k_f = 0` or `min_lot ≤ k_f ≤ free_f`, at most `max_factories`
/// factories, `Σ k_f ≤ Q`; maximise `Σ k_f`, then minimise `Σ h_f(k_f)`.
///
/// **Most units (closed form).** With m new factories the lots need `m·min_lot` units and the m
/// largest free totals give the most room, so the best total is
/// `T* = min(Q, forced free + top-m* free)` with `m*` the largest m allowed by `max_factories`,
/// the number of factories able to make a lot, and `m·min_lot ≤ Q`. Every set of factories
/// considered below must serve exactly T*.
///
/// **Least cost (branch and bound).** For a fixed set S the best split is greedy: every factory
/// makes its `min_lot` cheapest units, then the remaining units are the cheapest of all the rest
/// (separable convex costs). S is chosen by depth-first branch and bound over the factories
/// sorted by their best average cost, with this lower bound for a node (S so far, the rest
/// undecided): cost of S's forced lots + the cheapest remaining units where an undecided
/// factory's units are priced by the **convex envelope** of `h_f` on `{0} ∪ [min_lot, free_f]`:
/// its first `k*` units at `ρ_f = min_k h_f(k)/k` each, then its own unit costs. The envelope is
/// below `h_f` at every feasible k, and the fill is the optimum of the resulting separable
/// convex relaxation, so the bound never exceeds the cost of any completion: pruning loses
/// nothing. Costs are integers, so a node is cut as soon as its bound exceeds `incumbent − 1`
/// (by more than the floating-point error of the bound, which is kept far below 1).
///
/// **Split limit (Lagrangian).** When `max_factories` binds, the relaxation above happily uses
/// many factories and is weak. If the plain search does not finish within a few hundred nodes,
/// a second bound is added: charge every undecided factory an extra μ ≥ 0 and subtract
/// μ × (factories still allowed). For any μ ≥ 0 this is a valid lower bound (a Lagrangian
/// relaxation of "at most that many more factories"); μ is chosen at the root by bisection on
/// the subgradient (fractional factories used − factories allowed), and the search restarts
/// in the order of the μ-envelope, pruning with the larger of both bounds.
///
/// The search is exact unless it hits its node limit; it then returns the best plan found with
/// a proven lower bound (`lowerBound`) and `exact == false`.
struct PlacementEngine {
    struct Item { var price: Double; var units: Int; var pos: Int; var first: Bool }
    /// One convex-envelope relaxation: per factory ρ and k* for setup + μ, and its sorted items.
    struct Relaxation {
        var mu: Int64 = 0
        var rho: [Double] = []
        var kStar: [Int] = []
        var items: [Item] = []
    }

    // State of the current call.
    var q = 0, minLot = 1, maxNew = 0
    var segFree: [Int] = []
    var avail: [Int] = []
    var lo: [Int] = []
    var loCost: [Int64] = []
    var loSeg: [Int] = [], loOff: [Int] = []
    var forced: [Int] = []
    var usable: [Int] = []           // non-forced factories in search order
    var limit: [Int] = []            // u_f = min(free_f, T*)
    var plain = Relaxation(), lagrange = Relaxation()
    var useLagrange = false
    var suffixTop: [Int] = []
    var topWidth = 0
    var chosen: [Int] = []           // candidate indices chosen (non-forced)
    var best: [Int] = []
    var bestCost = Int64.max
    var bestFound = false
    var target = 0
    var nodes = 0, nodeLimit = 0
    var openBound = Double.infinity
    // Merge cursors.
    var curSeg: [Int] = [], curOff: [Int] = [], curEnd: [Int] = []
    var mergeSet: [Int] = []

    // Results of the last call.
    private(set) var served = 0
    private(set) var cost: Int64 = 0
    private(set) var exact = true
    private(set) var lowerBound: Int64 = 0
    private(set) var exploredNodes = 0
    private(set) var cause: ShortfallCause? = nil
    /// Units taken per segment of the candidate set (aligned with `segSlot`).
    private(set) var take: [Int] = []
    /// Candidate factories newly used (not forced) by the result.
    private(set) var usedNew: [Int] = []

    /// Nodes the plain search may use before the Lagrangian bound is brought in.
    static let plainNodeBudget = 300

    init() {}

    /// Places `quantity` more units of an order over `cands` with the free units `free[slot]`.
    /// - Parameter unitsOnly: stop once the most units T* (and the shortfall cause) are known,
    ///   with no plan (`take` empty, `cost` 0): what a caller that needs only the units asks.
    mutating func solve(_ cands: CandidateSet, free: UnsafeBufferPointer<Int>, quantity: Int, minLot: Int,
               maxFactories: Int, nodeLimit: Int = 50_000, unitsOnly: Bool = false) {
        let n = cands.count
        let segCount = cands.segSlot.count
        segFree.removeAll(keepingCapacity: true)
        for i in 0..<segCount { segFree.append(max(0, free[cands.segSlot[i]])) }
        reset(&take, count: segCount)
        usedNew.removeAll(keepingCapacity: true)
        served = 0; cost = 0; exact = true; lowerBound = 0; exploredNodes = 0; cause = nil
        q = max(0, quantity)
        self.minLot = max(1, minLot)
        self.nodeLimit = nodeLimit
        reset(&avail, count: n)
        reset(&lo, count: n)
        for f in 0..<n {
            var a = 0
            for s in cands.segStart[f]..<cands.segStart[f + 1] { a += segFree[s] }
            avail[f] = a
        }

        // Forced factories: already used, so setup is sunk; their lot must still reach min_lot.
        forced.removeAll(keepingCapacity: true)
        var forcedLow = 0, forcedAvail = 0
        for f in 0..<n where cands.existing[f] > 0 {
            forced.append(f)
            var need = max(0, self.minLot - cands.existing[f])
            if need > avail[f] { need = 0 }  // cannot be met either way; do not block the rest
            lo[f] = need
            forcedLow += need
            forcedAvail += avail[f]
        }
        if forcedLow > q {
            for f in forced { lo[f] = 0 }
            forcedLow = 0
        }
        maxNew = max(0, maxFactories - forced.count)

        // Most units: T* in closed form.
        var usableAvail: [Int] = []
        for f in 0..<n where cands.existing[f] == 0 && avail[f] >= self.minLot { usableAvail.append(avail[f]) }
        usableAvail.sort(by: >)
        func bestServed(maxNew: Int, lot: Int, avails: [Int], low: Int) -> Int {
            let m = min(maxNew, avails.count, max(0, q - low) / lot)
            var total = forcedAvail
            for i in 0..<m { total += avails[i] }
            return min(q, total)
        }
        target = bestServed(maxNew: maxNew, lot: self.minLot, avails: usableAvail, low: forcedLow)
        if target < q {
            // Name the binding limit: split limit first, then minimum lot, else capacity.
            if bestServed(maxNew: usableAvail.count, lot: self.minLot, avails: usableAvail, low: forcedLow) > target {
                cause = .splitLimit
            } else {
                var anyAvail: [Int] = []
                for f in 0..<n where cands.existing[f] == 0 && avail[f] > 0 { anyAvail.append(avail[f]) }
                anyAvail.sort(by: >)
                cause = bestServed(maxNew: maxNew, lot: 1, avails: anyAvail, low: 0) > target ? .minimumLot : .capacity
            }
        }
        if target == 0 { return }
        if unitsOnly { served = target; return }

        // Lot costs and cursors after the lot, for every factory that may be used.
        reset(&loCost, count: n)
        reset(&loSeg, count: n)
        reset(&loOff, count: n)
        reset(&limit, count: n)
        reset(&plain.rho, count: n)
        reset(&plain.kStar, count: n)
        plain.mu = 0
        useLagrange = false
        let mStar = min(maxNew, usableAvail.count, max(0, q - forcedLow) / self.minLot)
        usable.removeAll(keepingCapacity: true)
        for f in 0..<n {
            let isForced = cands.existing[f] > 0
            if !isForced {
                guard mStar > 0, avail[f] >= self.minLot else { continue }
                lo[f] = self.minLot
            }
            // Cheapest lo[f] units and the cursor just after them.
            var need = lo[f], c: Int64 = 0
            var s = cands.segStart[f], off = 0
            while need > 0 {
                let avail = segFree[s] - off
                if avail <= 0 { s += 1; off = 0; continue }
                let t = min(avail, need)
                c += Int64(t) * cands.segPrice[s]
                need -= t; off += t
                if off == segFree[s] { s += 1; off = 0 }
            }
            loCost[f] = c; loSeg[f] = s; loOff[f] = off
            if !isForced {
                limit[f] = min(avail[f], target)
                let e = envelope(cands, f, mu: 0)
                plain.rho[f] = e.rho; plain.kStar[f] = e.k
                usable.append(f)
            }
        }
        orderUsable(cands, lagrangian: false)
        plain.items = makeItems(cands, plain)
        buildSuffixTop()

        // Branch and bound.
        chosen.removeAll(keepingCapacity: true)
        best.removeAll(keepingCapacity: true)
        bestCost = .max; bestFound = false
        nodes = 0; openBound = .infinity
        if let c = exactCost(cands) { bestCost = c; bestFound = true; best = chosen }
        // A set that surely serves T*: the factories with the most free units, as few as needed.
        // It seeds the incumbent, so even a search cut short by its node limit has a plan.
        var byRoom = usable
        byRoom.sort { avail[$0] != avail[$1] ? avail[$0] > avail[$1] : $0 < $1 }
        var room = forcedAvail
        for f in byRoom where room < target && chosen.count < mStar { chosen.append(f); room += avail[f] }
        if let c = exactCost(cands), c < bestCost { bestCost = c; bestFound = true; best = chosen }
        chosen.removeAll(keepingCapacity: true)

        let fullLimit = nodeLimit
        self.nodeLimit = min(fullLimit, Self.plainNodeBudget)
        search(cands, depth: 0)
        if openBound != .infinity && fullLimit > self.nodeLimit && prepareLagrange(cands) {
            // The plain search stalled and the split limit binds: restart with both bounds.
            openBound = .infinity
            self.nodeLimit = fullLimit
            search(cands, depth: 0)
        } else if openBound != .infinity && fullLimit > self.nodeLimit {
            openBound = .infinity
            self.nodeLimit = fullLimit
            search(cands, depth: 0)
        }
        exploredNodes = nodes
        exact = openBound == .infinity
        precondition(bestFound, "placement: T* is reachable by construction")
        cost = bestCost
        lowerBound = exact ? bestCost : min(bestCost, Int64(max(0, (openBound - 1e-6).rounded(.up))))
        served = target
        fill(cands, into: best)
    }


    mutating func search(_ cands: CandidateSet, depth: Int) {
        nodes += 1
        if depth >= usable.count || chosen.count >= maxNew { return }
        let lb = bound(cands, depth: depth)
        if lb == .infinity { return }
        if bestFound {
            let inc = Double(bestCost)
            // Integer costs: nothing below the incumbent exists once lb > incumbent − 1.
            if lb > inc - 1 + 1e-9 * max(1, abs(inc)) + 1e-6 { return }
        }
        if nodes > nodeLimit { openBound = min(openBound, lb); return }
        let f = usable[depth]
        // Include f.
        chosen.append(f)
        if let c = exactCost(cands), c < bestCost { bestCost = c; bestFound = true; best = chosen }
        search(cands, depth: depth + 1)
        chosen.removeLast()
        // Exclude f.
        search(cands, depth: depth + 1)
    }

    /// Writes the units of the plan using forced + `set` into `take`.
    mutating func fill(_ cands: CandidateSet, into set: [Int]) {
        chosen = set
        usedNew = set.sorted()
        for f in forced + set {
            var need = lo[f]
            var s = cands.segStart[f]
            while need > 0 {
                let t = min(need, segFree[s] - take[s])
                take[s] += t; need -= t
                if take[s] == segFree[s] { s += 1 }
            }
        }
        var r = target
        for f in forced + set { r -= lo[f] }
        resetCursors(cands)
        while r > 0 {
            let i = cheapestCursor(cands)
            let s = curSeg[i]
            let amount = min(r, segFree[s] - curOff[i])
            take[s] += amount
            r -= amount; curOff[i] += amount
        }
    }
}
