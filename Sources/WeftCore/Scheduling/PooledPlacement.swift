/// Exact single-order placement when some candidate factory charges for batches.
///
/// **What changes.** In slot s the order's units join its pool group, which may already hold
/// `y0` units there (other orders of its pool, units from outside the problem, the order's own
/// kept units). The first `room = (−y0) mod batch_units` units fill the open batch for nothing
/// more (all units when batch_units is unlimited and y0 > 0); beyond it every `batch_units`
/// units open a new batch at `batch_cost`. A slot's cost is no longer convex, so the plain
/// engine's greedy split is not enough.
///
/// **Method.** Call `n_s` the number of batches the order opens in slot s. For a fixed vector
/// n the slots are plain slots with capacity `cap_s = min(free_s, room_s + n_s·batch_units)`
/// at their unit cost, and the best plan inside those capacities is what the plain engine
/// (``PlacementEngine``) finds exactly; its batch cost is at most `Σ n_s·batch_cost`. So the
/// least cost is the least, over n, of engine(cap(n)) + Σ n_s·batch_cost, and a depth-first
/// branch and bound over the slots that can open batches (cheapest per-unit envelope first;
/// at each, n_s from the most batches the order could use down to 0) finds it. A node's bound
/// is a linear relaxation: decided slots offer `cap_s` at unit cost (their batches already
/// paid), undecided ones their room at unit cost and then their convex envelope (batch cost
/// spread over the units one batch of this order can hold: `min(batch_units, units left)`),
/// every unit of a factory not yet used also carries `setup / min(free of the factory, T)`;
/// the cheapest T* units of that relaxation never cost more than any completion (lots and
/// split limit only make plans dearer). Each plan found is priced at its true cost, and every
/// node reached through an "open" branch first tries the plan with no further batch, which
/// gives good incumbents early.
///
/// The most units T* do not depend on costs: the plain engine's closed form on the full free
/// units gives them, and its plan seeds the incumbent. The search is exact unless it (or an
/// inner engine call) reaches the node limit: then it returns the best plan found, a proven
/// lower bound and `exact == false`.
///
/// **Work budget.** `nodeLimit` bounds the whole search's work, not only its node count: every
/// node is charged its relaxation (one unit per 8 segments it sorts) and every inner engine
/// call the nodes it explored plus one unit per 8 segments, and an inner call gets only what is
/// left. Without this, a wide candidate set (every slot of every factory with a batch cost)
/// let one placement run 50,000 nodes × a full inner search each: minutes on one thread.
struct PooledPlacementEngine {
    private var inner = PlacementEngine()
    private var local = CandidateSet()
    private var segFree: [Int] = []
    private var room: [Int] = []
    private var groupBefore: [Int] = []
    private var caps: [Int] = []
    private var decision: [Int] = []     // segments that can open batches, in search order
    private var maxBatches: [Int] = []   // per segment
    private var batches: [Int] = []      // per segment: n_s decided (for decision segments)
    private var decided: [Bool] = []
    private var factoryOfSeg: [Int] = []
    private var share: [Double] = []     // per factory: setup spread over its usable units
    /// Per factory: units a factory the order already uses must get to complete its lot, as the
    /// plain engine decides it on the full free units (capacities of a node must not waive it).
    private var lotNeed: [Int] = []
    private var items: [(price: Double, units: Int)] = []
    private var target = 0
    private var nodes = 0, nodeLimit = 0
    /// Work units one relaxation or inner call costs beyond its nodes: one per 8 segments.
    private var segWork = 0
    private var openBound = Double.infinity
    private var innerExact = true
    private var bestCost = Int64.max

    // Results of the last call (as in ``PlacementEngine``).
    private(set) var served = 0
    private(set) var cost: Int64 = 0
    private(set) var exact = true
    private(set) var lowerBound: Int64 = 0
    private(set) var exploredNodes = 0
    private(set) var cause: ShortfallCause? = nil
    private(set) var take: [Int] = []
    private(set) var usedNew: [Int] = []
    /// Whether the last call found a plan cheaper than its `incumbent` (else `take` is empty of
    /// units and `cost` is the incumbent's).
    private(set) var improved = false

    init() {}

    /// Places `quantity` more units over `cands`; `free[slot]` as for the plain engine and
    /// `groupUnits[i]` the units of the order's pool group already in segment i's slot.
    /// `incumbent`: the cost of a plan the caller already has that serves the most units; only
    /// cheaper plans are looked for (``improved`` says whether one was found).
    mutating func solve(_ cands: CandidateSet, free: UnsafeBufferPointer<Int>, groupUnits: [Int], quantity: Int,
                        minLot: Int, maxFactories: Int, nodeLimit: Int = 50_000, incumbent: Int64 = .max) {
        let segCount = cands.segSlot.count
        local = cands
        local.segSlot = Array(0..<segCount)
        segFree = (0..<segCount).map { max(0, free[cands.segSlot[$0]]) }
        factoryOfSeg = [Int](repeating: 0, count: segCount)
        for f in 0..<cands.count { for i in cands.segStart[f]..<cands.segStart[f + 1] { factoryOfSeg[i] = f } }
        groupBefore = (0..<segCount).map { max(0, $0 < groupUnits.count ? groupUnits[$0] : 0) }
        room = (0..<segCount).map { i in
            let f = factoryOfSeg[i]
            if cands.batchCost[f] == 0 { return segFree[i] }
            let y0 = groupBefore[i], size = cands.batchUnits[f]
            let open = size == 0 ? (y0 > 0 ? segFree[i] : 0) : (y0 % size == 0 ? 0 : size - y0 % size)
            return min(open, segFree[i])
        }
        self.nodeLimit = nodeLimit
        nodes = 0; openBound = .infinity; innerExact = true
        segWork = segCount / 8
        lotNeed = (0..<cands.count).map { f in
            let existing = cands.existing[f]
            guard existing > 0, existing < max(1, minLot) else { return 0 }
            var avail = 0
            for i in cands.segStart[f]..<cands.segStart[f + 1] { avail += segFree[i] }
            return max(1, minLot) - existing <= avail ? max(1, minLot) - existing : 0
        }
        if lotNeed.reduce(0, +) > max(0, quantity) { lotNeed = lotNeed.map { _ in 0 } }

        // Most units, and a first plan: every slot with all its free units.
        segFree.withUnsafeBufferPointer { caps in
            inner.solve(local, free: caps, quantity: quantity, minLot: minLot, maxFactories: maxFactories, nodeLimit: nodeLimit)
        }
        target = inner.served
        served = target
        cause = inner.cause
        reset(&take, count: segCount)
        usedNew = []
        bestCost = incumbent
        improved = false
        exploredNodes = inner.exploredNodes
        guard target > 0 else { cost = 0; exact = true; lowerBound = 0; return }
        innerExact = inner.exact
        // Batch costs are ≥ 0: the plain engine's bound on the rest is one here too.
        if !inner.exact { openBound = min(openBound, Double(inner.lowerBound)) }
        record(cands)

        // Decision slots: those where the order could open a batch.
        maxBatches = [Int](repeating: 0, count: segCount)
        decision.removeAll(keepingCapacity: true)
        for i in 0..<segCount {
            let f = factoryOfSeg[i]
            guard cands.batchCost[f] > 0 else { continue }
            let reach = min(segFree[i], target)
            guard reach > room[i] else { continue }
            let size = cands.batchUnits[f]
            maxBatches[i] = size == 0 ? 1 : (reach - room[i] + size - 1) / size
            decision.append(i)
        }
        if decision.isEmpty {
            finish(cands)
            return
        }
        // Setup spread: a factory not yet used pays its setup over at most min(free, T*) units.
        share = [Double](repeating: 0, count: cands.count)
        for f in 0..<cands.count where cands.existing[f] == 0 {
            var avail = 0
            for i in cands.segStart[f]..<cands.segStart[f + 1] { avail += segFree[i] }
            share[f] = avail > 0 ? Double(cands.setup[f]) / Double(min(avail, target)) : 0
        }
        var envelope = [Double](repeating: 0, count: segCount)
        for i in decision { envelope[i] = firstEnvelope(cands, i) }
        decision.sort { a, b in envelope[a] != envelope[b] ? envelope[a] < envelope[b] : a < b }
        batches = [Int](repeating: 0, count: segCount)
        decided = [Bool](repeating: false, count: segCount)
        search(cands, depth: 0, fresh: true, fixed: 0, minLot: minLot, maxFactories: maxFactories)
        finish(cands)
    }

    private mutating func finish(_ cands: CandidateSet) {
        exploredNodes += nodes
        exact = innerExact && openBound == .infinity
        cost = bestCost
        let proven = openBound.isFinite ? Int64(max(0, min(Double(bestCost), (openBound - 1e-6).rounded(.up)))) : 0
        lowerBound = exact ? bestCost : min(bestCost, proven)
    }

    /// Cost per unit of the first batch the order could open in segment i (with setup spread).
    private func firstEnvelope(_ cands: CandidateSet, _ i: Int) -> Double {
        let f = factoryOfSeg[i]
        let reach = min(segFree[i], target) - room[i]
        let size = cands.batchUnits[f] == 0 ? reach : min(cands.batchUnits[f], reach)
        return Double(cands.segPrice[i]) + Double(cands.batchCost[f]) / Double(max(1, size)) + share[f]
    }

    /// Stores the inner engine's plan if its true cost beats the incumbent.
    private mutating func record(_ cands: CandidateSet) {
        guard inner.served == target else { return }
        var units = [Int](repeating: 0, count: cands.count)
        for i in 0..<inner.take.count { units[factoryOfSeg[i]] += inner.take[i] }
        for f in 0..<cands.count where units[f] < lotNeed[f] { return }
        var total = inner.cost
        for i in 0..<inner.take.count where inner.take[i] > 0 {
            let f = factoryOfSeg[i]
            guard cands.batchCost[f] > 0 else { continue }
            let size = cands.batchUnits[f] == 0 ? nil : cands.batchUnits[f]
            let y0 = groupBefore[i]
            total += Int64(Scheduling.batchCount(units: y0 + inner.take[i], batchUnits: size)
                           - Scheduling.batchCount(units: y0, batchUnits: size)) * cands.batchCost[f]
        }
        if total < bestCost {
            bestCost = total
            improved = true
            take = inner.take
            usedNew = inner.usedNew
        }
    }

    /// Units segment i offers with `n` batches opened.
    private func capacity(_ cands: CandidateSet, _ i: Int, batches n: Int) -> Int {
        let size = cands.batchUnits[factoryOfSeg[i]]
        if size == 0 { return n > 0 ? segFree[i] : room[i] }
        return min(segFree[i], room[i] + n * size)
    }

    /// The linear relaxation of the node (see the type's documentation); +inf when no completion
    /// has room for T* units.
    private mutating func relaxation(_ cands: CandidateSet, fixed: Int64) -> Double {
        items.removeAll(keepingCapacity: true)
        var total = 0
        for i in 0..<segFree.count where segFree[i] > 0 {
            let f = factoryOfSeg[i]
            let p = Double(cands.segPrice[i]) + share[f]
            if maxBatches[i] == 0 || decided[i] {
                let c = maxBatches[i] == 0 ? segFree[i] : capacity(cands, i, batches: batches[i])
                if c > 0 { items.append((p, c)); total += c }
                continue
            }
            if room[i] > 0 { items.append((p, room[i])); total += room[i] }
            // Envelope over what this order can put here beyond the room.
            let beyond = min(segFree[i], target) - room[i]
            let b = cands.batchCost[f]
            let size = cands.batchUnits[f] == 0 ? beyond : min(cands.batchUnits[f], beyond)
            let full = beyond / size, last = beyond % size
            if full > 0 { items.append((p + Double(b) / Double(size), full * size)) }
            if last > 0 { items.append((p + Double(b) / Double(last), last)) }
            total += beyond
        }
        if total < target { return .infinity }
        items.sort { $0.price < $1.price }
        var left = target, lb = Double(fixed)
        for item in items {
            let t = min(left, item.units)
            lb += Double(t) * item.price
            left -= t
            if left == 0 { break }
        }
        return lb
    }

    private mutating func evaluate(_ cands: CandidateSet, minLot: Int, maxFactories: Int) {
        reset(&caps, count: segFree.count)
        for i in 0..<segFree.count {
            caps[i] = maxBatches[i] == 0 ? segFree[i] : (decided[i] ? capacity(cands, i, batches: batches[i]) : room[i])
        }
        let limit = max(1, nodeLimit - nodes)
        caps.withUnsafeBufferPointer { caps in
            inner.solve(local, free: caps, quantity: target, minLot: minLot, maxFactories: maxFactories, nodeLimit: limit)
        }
        nodes += inner.exploredNodes + segWork
        if inner.served == target {
            if !inner.exact { innerExact = false; openBound = min(openBound, Double(inner.lowerBound)) }
            record(cands)
        }
    }

    private mutating func search(_ cands: CandidateSet, depth: Int, fresh: Bool, fixed: Int64, minLot: Int, maxFactories: Int) {
        nodes += 1 + segWork
        let lb = relaxation(cands, fixed: fixed)
        if lb == .infinity { return }
        let inc = Double(bestCost)
        if bestCost != .max && lb > inc - 1 + 1e-9 * max(1, abs(inc)) + 1e-6 { return }
        if nodes > nodeLimit { openBound = min(openBound, lb); return }
        // The plan with no further batch (reached again through the "0" branches: tried once).
        if fresh { evaluate(cands, minLot: minLot, maxFactories: maxFactories) }
        if depth == decision.count { return }
        let i = decision[depth]
        decided[i] = true
        let b = cands.batchCost[factoryOfSeg[i]]
        var n = maxBatches[i]
        while n >= 1 {
            batches[i] = n
            search(cands, depth: depth + 1, fresh: true, fixed: fixed + Int64(n) * b, minLot: minLot, maxFactories: maxFactories)
            n -= 1
        }
        batches[i] = 0
        search(cands, depth: depth + 1, fresh: false, fixed: fixed, minLot: minLot, maxFactories: maxFactories)
        decided[i] = false
    }
}

/// The plain engine when no candidate factory charges for batches (plans exactly as before
/// pooling), the pooled one (behind its exact reductions, ``ReducedPooledPlacement``)
/// otherwise; both report the same results.
struct AnyPlacementEngine {
    private var plain = PlacementEngine()
    private var pooled = ReducedPooledPlacement()
    private var usedPooled = false

    init() {}

    /// As ``PlacementEngine/solve(_:free:quantity:minLot:maxFactories:nodeLimit:)``; `groupUnits`
    /// (per segment) matters only with batch costs.
    mutating func solve(_ cands: CandidateSet, free: UnsafeBufferPointer<Int>, groupUnits: [Int], quantity: Int,
                        minLot: Int, maxFactories: Int, nodeLimit: Int = 50_000) {
        usedPooled = cands.hasBatchCost
        if usedPooled {
            pooled.solve(cands, free: free, groupUnits: groupUnits, quantity: quantity, minLot: minLot,
                         maxFactories: maxFactories, nodeLimit: nodeLimit)
        } else {
            plain.solve(cands, free: free, quantity: quantity, minLot: minLot, maxFactories: maxFactories, nodeLimit: nodeLimit)
        }
    }

    var served: Int { usedPooled ? pooled.served : plain.served }
    var cost: Int64 { usedPooled ? pooled.cost : plain.cost }
    var exact: Bool { usedPooled ? pooled.exact : plain.exact }
    var lowerBound: Int64 { usedPooled ? pooled.lowerBound : plain.lowerBound }
    var exploredNodes: Int { usedPooled ? pooled.exploredNodes : plain.exploredNodes }
    var cause: ShortfallCause? { usedPooled ? pooled.cause : plain.cause }
    var take: [Int] { usedPooled ? pooled.take : plain.take }
    var usedNew: [Int] { usedPooled ? pooled.usedNew : plain.usedNew }
}
