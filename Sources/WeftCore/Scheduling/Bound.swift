extension Scheduling {
    /// A proven lower bound on the score of every valid plan of `problem` (hard = 0), from the
    /// transportation relaxation; nil if `shouldStop` ends the computation first (an unfinished
    /// computation proves nothing) or the costs are too large for exact 64-bit arithmetic.
    ///
    /// **Relaxation.** Keep pinned allocations fixed (their units and setups are a constant).
    /// Drop min lot, split limit and stability, and replace "pay setup_f once if order o uses f"
    /// by a per-unit charge `setup_f / u(o,f)`, where `u(o,f)` is the most units o can make in f
    /// (its remaining quantity, capped by the free units of its eligible slots there). In any
    /// valid plan x(o,f) ≤ u(o,f), so the charge is at most `setup_f` when o uses f and 0 when it
    /// does not: the relaxed cost of a plan never exceeds its real cost. (The contract's
    /// `setup / quantity` is the special case `u = quantity`; the smaller u gives a tighter,
    /// equally valid bound.) What remains is a transportation problem: source → order
    /// (remaining quantity, cost (−priority, 0)) → eligible slot (cost (0, unit cost + charge))
    /// → sink (free units). Its min-cost flow under the lexicographic cost first serves the most
    /// priority-weighted units, then costs the least; network flows have integral optima.
    ///
    /// **Why it bounds the score.** Every valid plan is a feasible flow, so its unserved ≥ the
    /// flow's. If equal, the plan is also a maximum-weight flow, whose relaxed cost is at least
    /// the minimum among such flows, and its real cost at least its relaxed cost.
    ///
    /// **Rounding.** Per-unit charges are scaled by K (1024, or less if needed to stay clear of
    /// overflow) and rounded **down** to integers, so the flow's scaled cost V satisfies
    /// V/K ≤ relaxed optimum ≤ real cost of any plan. Real costs are integers, so
    /// `pinned cost + ⌈V/K⌉` is still a valid bound.
    public static func bound(_ problem: Problem, shouldStop: () -> Bool = { false }) -> Bound? {
        bound(ProblemIndex(problem), shouldStop: shouldStop)
    }

    static func bound(_ index: ProblemIndex, shouldStop: () -> Bool) -> Bound? {
        guard let network = BoundNetwork(index) else { return nil }
        return network.solve(shouldStop: shouldStop)
    }
}

/// The transportation network of the bound, solved in two phases.
///
/// Phase 1 — most priority-weighted units: the vectors of units per order that a flow network
/// can deliver form a polymatroid, so the greedy order is optimal: maximum flow from the
/// highest-priority orders, then (augmenting, which never reduces what sources already send)
/// from the next class, and so on. Every optimum serves exactly those per-class totals F_p.
///
/// Phase 2 — least cost among them: a min-cost flow where each class node may pass exactly
/// F_p units (the source supplies ΣF_p), by network simplex.
///
/// **Compression.** An order usually may use every slot of a factory from `as_of` up to its
/// last day (due date minus lead days). Each slot therefore has a chain node, linked to the
/// chain node of the factory's previous slot (free, unbounded) and to its exit node (which
/// leads to the sink with the slot's free units at its unit cost); such an order gets one arc
/// into the chain at its last day instead of one arc per slot. Orders whose eligible slots are
/// not such a prefix (a later release date, a price cap excluding some) get direct arcs to the
/// exit nodes. Both networks allow exactly the same flows, with fewer arcs.
struct BoundNetwork {
    let index: ProblemIndex
    var graph: FlowGraph
    let remaining: [Int]
    let classArcs: [Int]            // per class (priority descending)
    let classDemand: [Int]
    let orderArcs: [Int]            // class node -> order, per order (-1 if none)
    /// K: per-unit charges are in 1/K minor units.
    let scale: Int64
    let source = 0, sink = 1
    /// (order, factory) pairs whose window was widened to keep the network small.
    let relaxedPairs: Int
    /// Above this many per-slot arcs, non-prefix windows are widened (see `init`).
    static let directArcLimit = 200_000

    /// The last position in a chain (slots by day) on or before `day`, or nil.
    static func lastPosition(_ chain: [Int], slots: [Scheduling.Slot], day: Day) -> Int? {
        var lo = 0, hi = chain.count
        while lo < hi { let mid = (lo + hi) / 2; if slots[chain[mid]].day <= day { lo = mid + 1 } else { hi = mid } }
        return lo == 0 ? nil : lo - 1
    }

    init?(_ index: ProblemIndex) {
        self.index = index
        let problem = index.problem
        let orders = problem.orders, slots = problem.slots
        let remaining = orders.indices.map { max(0, orders[$0].quantity - index.pinnedByOrder[$0]) }
        self.remaining = remaining
        let priorities = Array(Set(orders.map(\.priority))).sorted(by: >)
        let classBase = 2, orderBase = classBase + priorities.count
        let chainBase = orderBase + orders.count, exitBase = chainBase + slots.count
        let nodes = exitBase + slots.count

        // Scale of the per-unit setup charge: as fine as possible while cost scaling's
        // arithmetic (costs × (n + 1), prices up to a few n × that) stays inside Int64.
        var maxCharge: Int64 = 1
        for o in orders.indices where remaining[o] > 0 {
            let c = index.candidates[o]
            for f in 0..<c.count where c.segStart[f + 1] > c.segStart[f] {
                for s in c.segStart[f]..<c.segStart[f + 1] { maxCharge = max(maxCharge, c.segPrice[s] + c.setup[f] + c.batchCost[f]) }
            }
        }
        let limit = Int64(1) << 60
        let nodeFactor = Int64(nodes + 1) * Int64(4 * nodes + 16)
        guard maxCharge <= limit / nodeFactor else { return nil }
        var k: Int64 = 1024
        while k > 1 && maxCharge > limit / nodeFactor / k { k /= 2 }
        scale = k

        // Chains: per factory, its slots on or after as_of with free units, by day.
        var chain = [[Int]](repeating: [], count: problem.factories.count)
        for (s, slot) in slots.enumerated() where slot.day >= problem.asOf && index.capacity[s] > 0 { chain[slot.factory].append(s) }
        var chainPosition = [Int](repeating: -1, count: slots.count)
        for f in chain.indices {
            chain[f].sort { (slots[$0].day, $0) < (slots[$1].day, $1) }
            for (i, s) in chain[f].enumerated() { chainPosition[s] = i }
        }

        var graph = FlowGraph(nodes: nodes)
        var classArcs: [Int] = []
        var classDemand = [Int](repeating: 0, count: priorities.count)
        for c in priorities.indices { classArcs.append(graph.addArc(source, classBase + c, capacity: 0)) }
        var orderArcs = [Int](repeating: -1, count: orders.count)
        var usable: [Int] = []
        // The slots of candidate factory f that order o may use, their room and whether they are
        // exactly a chain prefix (then one arc suffices).
        func describe(_ cands: CandidateSet, _ f: Int) -> (room: Int, latest: Int, prefix: Bool) {
            usable.removeAll(keepingCapacity: true)
            var room = 0, latest = -1, allChained = true
            for s in cands.segStart[f]..<cands.segStart[f + 1] where index.capacity[cands.segSlot[s]] > 0 {
                let slot = cands.segSlot[s]
                usable.append(slot)
                room += index.capacity[slot]
                latest = max(latest, chainPosition[slot])
                if chainPosition[slot] < 0 { allChained = false }
            }
            return (room, latest, allChained && latest >= 0 && usable.count == latest + 1)
        }
        // Orders whose slots are not a prefix (a later release date, a price cap that excludes
        // some) need one arc per slot. When there are very many of those, they enter the chain at
        // their last day instead, i.e. they may also use the earlier or dearer slots of the
        // window: a further relaxation (a superset of plans), so still a valid bound, slightly
        // weaker, and much smaller. `relaxedPairs` counts the (order, factory) pairs treated so.
        var directArcs = 0
        for o in orders.indices where remaining[o] > 0 {
            let cands = index.candidates[o]
            for f in 0..<cands.count {
                let d = describe(cands, f)
                if d.room > 0 && !d.prefix { directArcs += usable.count }
            }
        }
        let relaxWindows = directArcs > BoundNetwork.directArcLimit
        var relaxedPairs = 0
        for o in orders.indices where remaining[o] > 0 {
            let c = priorities.firstIndex(of: orders[o].priority)!
            classDemand[c] += remaining[o]
            orderArcs[o] = graph.addArc(classBase + c, orderBase + o, capacity: remaining[o])
            let cands = index.candidates[o]
            for f in 0..<cands.count {
                let d = describe(cands, f)
                let u = min(d.room, remaining[o])
                if u == 0 { continue }
                // Setup already paid by pinned units costs nothing more; otherwise
                // ⌊K · setup / u(o,f)⌋ per unit (rounded down: the bound stays valid).
                let factory = cands.factory[f]
                let charge = (cands.existing[f] > 0 ? 0 : (cands.setup[f] * k) / Int64(u))
                    + index.batchCharge(order: o, factory: factory, room: d.room, scale: k)
                if d.prefix {
                    graph.addArc(orderBase + o, chainBase + chain[factory][d.latest], capacity: remaining[o], cost: charge)
                } else if relaxWindows, let entry = BoundNetwork.lastPosition(chain[factory], slots: slots,
                                                                                  day: Day(ordinal: orders[o].dueDate.ordinal - Int32(clamping: problem.factories[factory].leadDays))),
                          entry >= d.latest {
                    graph.addArc(orderBase + o, chainBase + chain[factory][entry], capacity: remaining[o], cost: charge)
                    relaxedPairs += 1
                } else {
                    for slot in usable { graph.addArc(orderBase + o, exitBase + slot, capacity: remaining[o], cost: charge) }
                }
            }
        }
        self.relaxedPairs = relaxedPairs
        let unbounded = Int(Int32.max)
        for f in chain.indices {
            for (i, s) in chain[f].enumerated() {
                graph.addArc(chainBase + s, exitBase + s, capacity: unbounded)
                if i > 0 { graph.addArc(chainBase + s, chainBase + chain[f][i - 1], capacity: unbounded) }
            }
        }
        for s in slots.indices where index.capacity[s] > 0 {
            graph.addArc(exitBase + s, sink, capacity: index.capacity[s], cost: slots[s].unitCost * k)
        }
        graph.seal()
        self.graph = graph
        self.classArcs = classArcs
        self.classDemand = classDemand
        self.orderArcs = orderArcs
    }

    func solve(shouldStop: () -> Bool) -> Scheduling.Bound? {
        var g = graph
        let original = g.cap
        // Phase 1: classes one by one, highest priority first.
        var served = [Int](repeating: 0, count: classArcs.count)
        for c in classArcs.indices {
            g.cap[classArcs[c]] = classDemand[c]
            guard g.maxFlow(source: source, sink: sink, shouldStop: shouldStop) != nil else { return nil }
        }
        for c in classArcs.indices { served[c] = g.flow(classArcs[c]) }
        // Phase 2: exactly those totals, least cost.
        g.cap = original
        for c in classArcs.indices { g.cap[classArcs[c]] = served[c] }
        var supply = [Int](repeating: 0, count: g.nodeCount)
        let total = served.reduce(0, +)
        supply[source] = total
        supply[sink] = -total
        let arcs = g.forwardArcs()
        let simplex = NetworkSimplex(nodes: g.nodeCount, source: arcs.source, target: arcs.target,
                                     capacity: arcs.capacity, cost: arcs.cost, supply: supply)
        guard simplex.run(shouldStop: shouldStop), !simplex.hasArtificialFlow else { return nil }
        let flow = simplex.flow

        let orders = index.problem.orders
        var unserved: Int64 = 0
        for o in orders.indices {
            let got = orderArcs[o] >= 0 ? flow[orderArcs[o] / 2] : 0
            unserved += Int64(orders[o].priority) * Int64(remaining[o] - got)
        }
        var scaled: Int64 = 0
        for k in 0..<arcs.cost.count where arcs.cost[k] > 0 { scaled += Int64(flow[k]) * arcs.cost[k] }
        return Scheduling.Bound(unserved: unserved, cost: index.pinnedCost + index.pinnedBatchCost + (scaled + scale - 1) / scale)
    }
}

extension Scheduling {
    /// The same bound by a second, independent algorithm — one successive-shortest-path min-cost
    /// flow with lexicographic (priority, cost) arc costs. Slower; kept to cross-check the
    /// two-phase computation in tests.
    static func referenceBound(_ index: ProblemIndex, scale k: Int64) -> Bound? {
        let problem = index.problem
        let orders = problem.orders, slots = problem.slots
        let source = 0, sink = 1, orderBase = 2, slotBase = 2 + orders.count
        let remaining = orders.indices.map { max(0, orders[$0].quantity - index.pinnedByOrder[$0]) }
        var flow = LexMinCostFlow(nodes: slotBase + slots.count)
        var sourceArcs = [Int](repeating: -1, count: orders.count)
        var costArcs: [(arc: Int, perUnit: Int64)] = []
        for o in orders.indices where remaining[o] > 0 {
            sourceArcs[o] = flow.addArc(source, orderBase + o, capacity: remaining[o], cost: LexCost(a: -Int64(orders[o].priority), b: 0))
            let c = index.candidates[o]
            for f in 0..<c.count {
                var room = 0
                for s in c.segStart[f]..<c.segStart[f + 1] { room += index.capacity[c.segSlot[s]] }
                let u = min(room, remaining[o])
                if u == 0 { continue }
                let charge = (c.existing[f] > 0 ? 0 : (c.setup[f] * k) / Int64(u))
                    + index.batchCharge(order: o, factory: c.factory[f], room: room, scale: k)
                for s in c.segStart[f]..<c.segStart[f + 1] where index.capacity[c.segSlot[s]] > 0 {
                    let perUnit = c.segPrice[s] * k + charge
                    costArcs.append((flow.addArc(orderBase + o, slotBase + c.segSlot[s], capacity: remaining[o], cost: LexCost(a: 0, b: perUnit)), perUnit))
                }
            }
        }
        for s in slots.indices where index.capacity[s] > 0 { flow.addArc(slotBase + s, sink, capacity: index.capacity[s], cost: .zero) }
        let topological = [source] + (0..<orders.count).map { orderBase + $0 } + (0..<slots.count).map { slotBase + $0 } + [sink]
        guard flow.solve(source: source, sink: sink, topological: topological, shouldStop: { false }) else { return nil }
        var unserved: Int64 = 0
        for o in orders.indices {
            unserved += Int64(orders[o].priority) * Int64(remaining[o] - (sourceArcs[o] >= 0 ? flow.flow(sourceArcs[o]) : 0))
        }
        var scaled: Int64 = 0
        for (arc, perUnit) in costArcs { scaled += Int64(flow.flow(arc)) * perUnit }
        return Bound(unserved: unserved, cost: index.pinnedCost + index.pinnedBatchCost + (scaled + k - 1) / k)
    }
}
