/// Construction and large neighbourhood search (ruin and recreate) over a ``SolverState``.
///
/// **Construction.** Up to three candidates, the best kept: the naive greedy filling the starting
/// plan, then every order re-placed in turn by the exact single-order placer (each step can only
/// improve that order and leaves the others alone, so the score never gets worse); the starting
/// plan re-placed the same way; a fresh plan placing every order by priority and tightness, kept
/// only if it honours every stability floor; with pools, before the first is polished, three
/// pool-gathering plans (``SolverState/poolGatheringStart(shouldStop:)``), the first of them
/// filling each pool into the batches cheapest per unit. All but the naive greedy are skipped
/// when time is short.
///
/// **Improvement.** Repeatedly remove the movable units of a few related orders (same factory,
/// competitors for a short order's slots, the costliest relative to their ideal, or random) and
/// re-insert them one by one, each placed exactly for itself in what is left, in an order drawn
/// from several rules (priority, tightness, size, random). The move is kept when every touched
/// order keeps its stability floor and the score is not worse, with a small cost tolerance that
/// shrinks to zero over the run (threshold acceptance, to cross plateaus); the best plan seen is
/// remembered. Each step is exact for the order being placed, so the search explores complete,
/// valid plans only: hard constraints hold by construction and are re-checked by the verifier.
struct Search {
    var state: SolverState
    var rng: Scheduling.SeededRandom
    /// Per factory: orders having it among their candidates.
    private let ordersOfFactory: [[Int32]]
    /// Per order: its cost when placed alone into the empty capacity (a yardstick for "worst").
    private var idealCost: [Double]
    private(set) var bestAlloc: [[Scheduling.SlotUnits]]
    private(set) var bestScore: Scheduling.Score
    /// Each order alone in all the capacity, placed exactly: Σ priority × missing units and
    /// Σ cost lower bounds. No plan scores below it (see `construct`); nil if cut short.
    private(set) var soloBound: Scheduling.Bound? = nil
    private(set) var iterations = 0
    private(set) var accepted = 0
    private(set) var improvements = 0
    /// The iteration at which the best plan last improved (0: construction).
    private(set) var lastImprovedIteration = 0

    init(index: ProblemIndex, seed: UInt64) {
        state = SolverState(index: index)
        rng = Scheduling.SeededRandom(seed: seed)
        var lists = [[Int32]](repeating: [], count: index.problem.factories.count)
        for o in 0..<index.problem.orders.count {
            for p in index.pairs(o) where index.pairLast[p] != .min { lists[Int(index.pairFactory[p])].append(Int32(o)) }
        }
        ordersOfFactory = lists
        idealCost = []
        bestAlloc = []
        bestScore = Scheduling.Score(hard: 0, unserved: .max, cost: .max)
    }

    private var orderCount: Int { state.orderCount }
    private var orders: [Scheduling.Order] { state.index.problem.orders }

    // MARK: construction

    /// Builds the starting point of the search (see the type's documentation). `shouldStop`
    /// cuts the optional parts short when time runs out; a valid start is always produced.
    mutating func construct(shouldStop: () -> Bool = { false }) {
        // (1) The naive greedy from the starting plan (it only adds units, so floors hold),
        // polished by re-placing each order exactly (with pools, the better pool-gathering plan
        // is polished instead): the search never starts below the baseline it is compared with.
        // Always built; the polish stops when time runs out.
        var best = SolverState(index: state.index)
        best.nodeLimit = state.nodeLimit
        best.focus = state.focus
        best.loadStart()
        best.naiveFill(orders: best.greedyOrder())
        // With pools, first the pool-gathering candidates (Search+Pools), before the polish and
        // the candidates below take the time: on large pooled problems they are the better start
        // by far and often the only one finished.
        if state.index.sharesBatches && !shouldStop(), let pooled = best.poolGatheringStart(shouldStop: shouldStop),
           pooled.score < best.score {
            best = pooled
        }
        // Short orders first: they gain the most from an exact placement.
        let polishOrder = best.greedyOrder().enumerated().sorted { a, b in
            let sa = best.missing(a.element) > 0, sb = best.missing(b.element) > 0
            return sa != sb ? sa : a.offset < b.offset
        }.map(\.element)
        for (i, o) in polishOrder.enumerated() {
            if i & 31 == 31 && shouldStop() { break }
            Search.replaceIfBetter(&best, o)
        }

        // The yardstick for the "worst cost" neighbourhood: each order alone in empty capacity.
        // The same placements give a lower bound: in any valid plan each order uses a subset of
        // this capacity, so it serves at most its solo maximum; if every order does, each pays
        // at least its solo least cost (or the placement's proven lower bound on it).
        var ideal = [Double](repeating: 0, count: orderCount)
        var soloUnserved: Int64 = 0, soloCost = state.index.pinnedCost + state.index.pinnedBatchCost
        var complete = true
        for o in 0..<orderCount {
            if o & 63 == 63 && shouldStop() { complete = false; break }
            state.place(o)
            let units = state.served[o] - state.index.pinnedByOrder[o]
            ideal[o] = units > 0 ? Double(state.orderCost[o]) / Double(units) : 0
            let order = orders[o]
            soloUnserved += Int64(order.priority) * Int64(max(0, order.quantity - state.served[o]))
            soloCost += units > 0 ? state.lastCostLowerBound : 0
            state.remove(o)
        }
        idealCost = ideal
        // Valid only if every placement saw all of its order's factories (see `focus`).
        // Not valid either when orders may share batches: alone, each pays batches that in a plan
        // it may share.
        let exact = (state.focus == 0 || (0..<orderCount).allSatisfy { state.index.pairs($0).count <= state.focus })
            && !state.index.sharesBatches
        soloBound = complete && exact ? Scheduling.Bound(unserved: soloUnserved, cost: soloCost) : nil

        // (2) The starting plan, each order re-placed in greedy order, never for the worse.
        if !shouldStop() {
            var fromStart = SolverState(index: state.index)
            fromStart.nodeLimit = state.nodeLimit
            fromStart.focus = state.focus
            fromStart.loadStart()
            var finished = true
            for (i, o) in fromStart.greedyOrder().enumerated() {
                if i & 31 == 31 && shouldStop() { finished = false; break }
                Search.replaceIfBetter(&fromStart, o)
            }
            if finished && fromStart.score < best.score { best = fromStart }
        }

        // (3) A fresh plan, kept only if every order keeps its stability floor.
        if !shouldStop() {
            var fresh = SolverState(index: state.index)
            fresh.nodeLimit = state.nodeLimit
            fresh.focus = state.focus
            var finished = true
            for (i, o) in constructionOrder().enumerated() {
                if i & 31 == 31 && shouldStop() { finished = false; break }
                fresh.place(o)
            }
            if finished && (0..<orderCount).allSatisfy({ fresh.meetsFloor($0) }) && fresh.score < best.score { best = fresh }
        }
        state = best
        remember()
    }

    /// Priority first, then the orders with the least room for their missing units.
    private func constructionOrder() -> [Int] {
        let tight = (0..<orderCount).map { tightness($0) }
        return (0..<orderCount).sorted { a, b in
            if orders[a].priority != orders[b].priority { return orders[a].priority > orders[b].priority }
            if tight[a] != tight[b] { return tight[a] < tight[b] }
            return a < b
        }
    }

    /// Free units in the order's candidate slots per unit it still needs (smaller = tighter).
    private func tightness(_ o: Int) -> Double {
        var room = 0
        state.index.forEachCandidateSlot(o) { room += state.free[$0] }
        return Double(room) / Double(max(1, state.missing(o) + state.served[o] - state.index.pinnedByOrder[o]))
    }

    /// Re-places one order; keeps the new placement only if it is at least as good for the order.
    /// "Good for the order" is judged on what it adds to the plan's cost (the same as its own
    /// cost without batch costs; with them, batches it opens or lets close count too).
    static func replaceIfBetter(_ state: inout SolverState, _ o: Int) {
        let oldServed = state.served[o], oldCost = state.orderCost[o], oldTotal = state.score.cost
        let old = state.remove(o)
        let valid = state.place(o)
        if !valid || state.served[o] < oldServed || (state.served[o] == oldServed && state.score.cost > oldTotal) {
            state.remove(o)
            state.assign(o, old, cost: oldCost)
        }
    }

    private mutating func remember() {
        let score = state.score
        if score < bestScore {
            bestScore = score
            bestAlloc = state.alloc
            lastImprovedIteration = iterations
        }
    }

    // MARK: improvement

    /// Runs ruin-and-recreate steps until `shouldStop(iterations)` or `maxIterations`.
    /// `fraction(iterations)` tells how far through its budget the search is (for the acceptance
    /// threshold). Both take the count so that they need not read this value while it runs.
    /// `shouldStop` also gets the iteration at which the best plan last improved
    /// (``lastImprovedIteration``), so that the caller can tell a search that has stopped finding anything.
    mutating func improve(maxIterations: Int, target: Scheduling.Score?, fraction: (Int) -> Double,
                          shouldStop: (_ iterations: Int, _ lastImproved: Int) -> Bool) {
        guard orderCount > 0 else { return }
        let startCost = Double(max(1, state.score.cost))
        var current = state.score
        var removedOld: [(order: Int, alloc: [Scheduling.SlotUnits], cost: Int64)] = []
        var chosen: [Int] = []
        var mark = [Bool](repeating: false, count: orderCount)
        while iterations < maxIterations {
            if let target, bestScore <= target { return }   // proven optimal
            if iterations & 7 == 0 && shouldStop(iterations, lastImprovedIteration) { return }
            iterations += 1
            chosen.removeAll(keepingCapacity: true)
            selectNeighbourhood(into: &chosen, mark: &mark)
            for o in chosen { mark[o] = false }
            if chosen.isEmpty { continue }

            removedOld.removeAll(keepingCapacity: true)
            for o in chosen {
                let cost = state.orderCost[o]
                removedOld.append((o, state.remove(o), cost))
            }
            var floorsHold = true
            if !state.exactRepair(chosen, workLimit: 50_000) {
                orderForInsertion(&chosen)
                let noise = rng.chance(0.5) ? 0 : [0.03, 0.1, 0.25][rng.below(3)]
                for o in chosen where !state.place(o, noise: noise, rng: &rng) { floorsHold = false }
            }

            let candidate = state.score
            // Threshold acceptance on cost, shrinking to zero; unserved may never get worse.
            let threshold = 0.0005 * startCost * max(0, 1 - fraction(iterations) / 0.8)
            let ok = floorsHold && (candidate.unserved < current.unserved
                || (candidate.unserved == current.unserved && Double(candidate.cost) <= Double(current.cost) + threshold))
            if ok {
                accepted += 1
                if candidate < current { improvements += 1 }
                current = candidate
                remember()
            } else {
                for o in chosen { state.remove(o) }
                for old in removedOld where !old.alloc.isEmpty { state.assign(old.order, old.alloc, cost: old.cost) }
            }
        }
    }

    /// Resets the state to the best plan found, then polishes it with one more pass of
    /// single-order re-placement.
    mutating func finish(shouldStop: () -> Bool = { false }) {
        var best = SolverState(index: state.index)
        best.nodeLimit = state.nodeLimit
        best.focus = state.focus
        for o in 0..<orderCount where !bestAlloc[o].isEmpty { best.assign(o, bestAlloc[o]) }
        for (i, o) in best.greedyOrder().enumerated() {
            if i & 31 == 31 && shouldStop() { break }
            Search.replaceIfBetter(&best, o)
        }
        state = best
        remember()
    }

    // MARK: neighbourhoods

    private mutating func size() -> Int {
        let cap = min(orderCount, rng.chance(0.1) ? 40 : 12)
        return cap <= 1 ? 1 : rng.int(in: 2...cap)
    }

    private mutating func add(_ o: Int, _ chosen: inout [Int], _ mark: inout [Bool]) {
        if !mark[o] { mark[o] = true; chosen.append(o) }
    }

    private mutating func selectNeighbourhood(into chosen: inout [Int], mark: inout [Bool]) {
        let k = size()
        let pick = rng.below(100)
        if state.index.sharesBatches && rng.chance(0.3) {
            poolNeighbourhood(k, &chosen, &mark)
        } else if pick < 35 {
            factoryNeighbourhood(k, &chosen, &mark)
        } else if pick < 60 {
            shortNeighbourhood(k, &chosen, &mark)
        } else if pick < 80 {
            worstNeighbourhood(k, &chosen, &mark)
        } else {
            for _ in 0..<k { add(rng.below(orderCount), &chosen, &mark) }
        }
    }

    /// Orders sharing one factory: those using it, then other candidates of it.
    private mutating func factoryNeighbourhood(_ k: Int, _ chosen: inout [Int], _ mark: inout [Bool]) {
        let factories = state.index.problem.factories.count
        guard factories > 0 else { return }
        var f = rng.below(factories)
        for _ in 0..<8 where ordersOfFactory[f].isEmpty { f = rng.below(factories) }
        var users: [Int] = []
        let cands = ordersOfFactory[f]
        for o in cands where state.alloc[Int(o)].contains(where: { state.index.slotFactory[$0.slot] == f }) { users.append(Int(o)) }
        rng.shuffle(&users)
        for o in users.prefix(max(1, k - k / 3)) { add(o, &chosen, &mark) }
        var tries = 0
        while chosen.count < k && tries < 3 * k && !cands.isEmpty {
            add(Int(cands[rng.below(cands.count)]), &chosen, &mark)
            tries += 1
        }
    }

    /// Orders of one pool, re-placed together so that they gather into fewer batches: the first
    /// re-placed opens a batch, the next ones fill its room for nothing more. Half the time the
    /// pool is that of a part-filled batch (the least filled of a few slots drawn), so that its
    /// orders may close it by moving into batches elsewhere.
    private mutating func poolNeighbourhood(_ k: Int, _ chosen: inout [Int], _ mark: inout [Bool]) {
        let groups = state.index.groups
        var g = -1, leastSlot = -1
        if rng.chance(0.5) {
            var leastFill = Double.infinity
            for _ in 0..<8 {
                let s = rng.below(max(1, state.movableGroupUnits.count))
                guard s < state.movableGroupUnits.count, !state.movableGroupUnits[s].isEmpty else { continue }
                let size = state.index.factoryBatchUnits[state.index.slotFactory[s]]
                let item = state.movableGroupUnits[s][rng.below(state.movableGroupUnits[s].count)]
                guard groups.members[Int(item.group)].count > 1 else { continue }
                let total = ProblemIndex.units(of: item.group, in: state.index.baseGroupUnits[s]) + item.units
                let fill = size == 0 ? 1 / Double(total) : Double(total) / Double(size * Scheduling.batchCount(units: total, batchUnits: size))
                if fill < leastFill { leastFill = fill; g = Int(item.group); leastSlot = s }
            }
        }
        if g < 0 {
            for _ in 0..<8 {
                let o = rng.below(orderCount)
                let candidate = groups.groupOfOrder[o]
                if groups.members[candidate].count > 1 { g = candidate; break }
            }
        }
        guard g >= 0 else { return worstNeighbourhood(k, &chosen, &mark) }
        // The orders in the part-filled batch first: re-placed with the others, they may close it.
        if leastSlot >= 0 {
            for h in state.occupants[leastSlot] where groups.groupOfOrder[Int(h)] == g { add(Int(h), &chosen, &mark) }
        }
        var members = groups.members[g]
        rng.shuffle(&members)
        for o in members where chosen.count < max(k, 4) { add(o, &chosen, &mark) }
    }

    /// A short order and the orders holding units in its candidate slots.
    private mutating func shortNeighbourhood(_ k: Int, _ chosen: inout [Int], _ mark: inout [Bool]) {
        var short: [Int] = []
        for o in 0..<orderCount where state.missing(o) > 0 && state.index.segmentCount[o] > 0 { short.append(o) }
        guard !short.isEmpty else { return worstNeighbourhood(k, &chosen, &mark) }
        // Weighted by priority: draw twice, keep the higher priority.
        var o = short[rng.below(short.count)]
        let other = short[rng.below(short.count)]
        if orders[other].priority > orders[o].priority { o = other }
        add(o, &chosen, &mark)
        var holders: [Int] = []
        state.index.forEachCandidateSlot(o) { s in
            for h in state.occupants[s] where !mark[Int(h)] { holders.append(Int(h)) }
        }
        rng.shuffle(&holders)
        for h in holders where chosen.count < k { add(h, &chosen, &mark) }
    }

    /// The orders paying most above their ideal unit cost, drawn with a bias to the top.
    private mutating func worstNeighbourhood(_ k: Int, _ chosen: inout [Int], _ mark: inout [Bool]) {
        var excess: [(Double, Int)] = []
        excess.reserveCapacity(orderCount)
        for o in 0..<orderCount {
            let units = state.served[o] - state.index.pinnedByOrder[o]
            guard units > 0 else { continue }
            excess.append((Double(state.orderCost[o]) / Double(units) - idealCost[o], o))
        }
        guard !excess.isEmpty else { return }
        excess.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        var tries = 0
        while chosen.count < k && tries < 3 * k {
            let u = rng.unit()
            add(excess[Int(Double(excess.count) * u * u * u)].1, &chosen, &mark)
            tries += 1
        }
    }

    /// Sorts the removed orders for re-insertion by one of several rules, with random ties.
    private mutating func orderForInsertion(_ chosen: inout [Int]) {
        rng.shuffle(&chosen)
        let rule = rng.below(100)
        if rule < 15 { return }  // random order
        var keys: [(Double, Double, Int)] = []
        for (position, o) in chosen.enumerated() {
            let secondary: Double
            if rule < 55 {
                secondary = tightness(o)
            } else if rule < 80 {
                secondary = -Double(orders[o].quantity)
            } else {
                secondary = Double(orders[o].dueDate.ordinal)
            }
            keys.append((-Double(orders[o].priority), secondary, position))
        }
        keys.sort { $0.0 != $1.0 ? $0.0 < $1.0 : ($0.1 != $1.1 ? $0.1 < $1.1 : $0.2 < $1.2) }
        let copy = chosen
        for (i, key) in keys.enumerated() { chosen[i] = copy[key.2] }
    }
}
