import Testing
@testable import WeftCore

private typealias A = Scheduling.Allocation

/// A tiny random pooled problem: 2–3 orders (most in pool "p" or "q"), 2 factories with batch
/// costs, 2 days, few units; sometimes units of a pool from outside the problem.
private func tinyPooledProblem(_ rng: inout Scheduling.SeededRandom) -> Scheduling.Problem {
    let asOf = Day(ordinal: 20_000)
    let factories = (0..<2).map { f in
        Scheduling.Factory(id: "f\(f)", region: "A", leadDays: rng.int(in: 0...1), setupCost: Int64(rng.int(in: 0...6)),
                           batchCost: Int64(rng.int(in: 0...30)), batchUnits: rng.chance(0.3) ? nil : rng.int(in: 1...4))
    }
    var slots: [Scheduling.Slot] = []
    for f in 0..<2 {
        for d in 0..<2 where rng.chance(0.85) {
            let outside = rng.chance(0.2) ? ["p": rng.int(in: 1...3)] : [:]
            slots.append(Scheduling.Slot(id: "s\(slots.count)", factory: f, day: asOf.adding(days: d), units: rng.int(in: 1...4),
                                         unitCost: Int64(rng.int(in: 1...6)), outsidePoolUnits: outside))
        }
    }
    let orders = (0..<rng.int(in: 2...3)).map { o -> Scheduling.Order in
        let q = rng.int(in: 1...3)
        let pool: String? = rng.chance(0.75) ? (rng.chance(0.7) ? "p" : "q") : nil
        return Scheduling.Order(id: "o\(o)", quantity: q, dueDate: asOf.adding(days: rng.int(in: 1...2)), releaseDate: asOf,
                                minLot: rng.chance(0.7) ? 1 : rng.int(in: 1...q), maxFactories: rng.int(in: 1...2),
                                priority: rng.int(in: 1...5), pool: pool)
    }
    return Scheduling.Problem(capability: "tiny", asOf: asOf, factories: factories, slots: slots, orders: orders)
}

/// The optimum by enumerating every integer plan, scored by the verifier.
private func exhaustiveOptimum(_ p: Scheduling.Problem) -> Scheduling.Score {
    let eligible = p.orders.indices.map { p.eligibleSlots(order: $0) }
    var plan: [A] = []
    var best = Scheduling.Score(hard: 0, unserved: .max, cost: .max)
    var free = p.slots.map(\.units)
    func visit(_ o: Int, _ i: Int, _ left: Int) {
        if o == p.orders.count {
            let v = Scheduling.verify(p, plan: plan)
            if v.isValid && v.score < best { best = v.score }
            return
        }
        if i == eligible[o].count {
            visit(o + 1, 0, o + 1 < p.orders.count ? p.orders[o + 1].quantity : 0)
            return
        }
        let s = eligible[o][i]
        for units in 0...min(left, free[s]) {
            if units > 0 { plan.append(A(order: o, slot: s, units: units)) }
            free[s] -= units
            visit(o, i + 1, left - units)
            free[s] += units
            if units > 0 { plan.removeLast() }
        }
    }
    visit(0, 0, p.orders.first?.quantity ?? 0)
    return best
}

@Suite("Runs with pools")
struct PooledSolverTests {
    @Test("a run consolidates two half-full batches into one")
    func consolidates() {
        let d = Day(ordinal: 20_000)
        let factories = [Scheduling.Factory(id: "f0", region: "A", batchCost: 1_000, batchUnits: 10)]
        let slots = [
            Scheduling.Slot(id: "s0", factory: 0, day: d, units: 10, unitCost: 1),
            Scheduling.Slot(id: "s1", factory: 0, day: d.adding(days: 1), units: 10, unitCost: 1),
        ]
        let orders = [
            Scheduling.Order(id: "o0", quantity: 5, dueDate: d.adding(days: 5), releaseDate: d, pool: "p"),
            Scheduling.Order(id: "o1", quantity: 5, dueDate: d.adding(days: 5), releaseDate: d, pool: "p"),
        ]
        let start = [A(order: 0, slot: 0, units: 5), A(order: 1, slot: 1, units: 5)]
        let p = Scheduling.Problem(capability: "pcb.fab", asOf: d, factories: factories, slots: slots, orders: orders, allocations: start)
        let result = Scheduling.solve(p, options: .init(seed: 1, maxIterations: 100, workers: 1))
        #expect(result.scoreBefore == Scheduling.Score(hard: 0, unserved: 0, cost: 10 + 2_000))
        #expect(result.violations.isEmpty)
        #expect(result.scoreAfter == Scheduling.Score(hard: 0, unserved: 0, cost: 10 + 1_000))
        #expect(Set(result.plan.map(\.slot)).count == 1)
        // The bound sees the single batch: 10 units at 1 + 10 × 1000/10.
        #expect(result.bound == Scheduling.Bound(unserved: 0, cost: 1_010))
    }

    @Test("pinned units keep their batch; a run joins it rather than opening another")
    func joinsPinnedBatch() {
        let d = Day(ordinal: 20_000)
        let factories = [Scheduling.Factory(id: "f0", region: "A", batchCost: 500, batchUnits: 10)]
        let slots = [
            Scheduling.Slot(id: "s0", factory: 0, day: d, units: 10, unitCost: 3),
            Scheduling.Slot(id: "s1", factory: 0, day: d.adding(days: 1), units: 10, unitCost: 1),
        ]
        let orders = [
            Scheduling.Order(id: "o0", quantity: 4, dueDate: d.adding(days: 5), releaseDate: d, pool: "p"),
            Scheduling.Order(id: "o1", quantity: 6, dueDate: d.adding(days: 5), releaseDate: d, pool: "p"),
        ]
        let start = [A(order: 0, slot: 0, units: 4, pinned: true), A(order: 1, slot: 1, units: 6)]
        let p = Scheduling.Problem(capability: "pcb.fab", asOf: d, factories: factories, slots: slots, orders: orders, allocations: start)
        let result = Scheduling.solve(p, options: .init(seed: 1, maxIterations: 100, workers: 1))
        // Before: 12 + 6 + 2 batches; after: o1 joins the pinned batch: 12 + 18 + 1 batch.
        #expect(result.scoreBefore.cost == 12 + 6 + 1_000)
        #expect(result.scoreAfter.cost == 12 + 18 + 500)
        #expect(result.violations.isEmpty)
    }

    @Test("construction gathers a pool where a full batch is cheapest per unit, not where one batch is cheapest")
    func gathersAtLeastBatchCostPerUnit() {
        // f0: batches of 2 for 60 (30 a unit); f1: batches of 8 for 200 (25 a unit). Four orders
        // of 2 in one pool: each alone is cheapest at f0 (60 < 200), so placing them one after
        // another at their least marginal cost opens four batches there (240); together they
        // fill one batch at f1 (200), the optimum.
        let d = Day(ordinal: 20_000)
        let factories = [Scheduling.Factory(id: "f0", region: "A", batchCost: 60, batchUnits: 2),
                         Scheduling.Factory(id: "f1", region: "A", batchCost: 200, batchUnits: 8)]
        let slots = [Scheduling.Slot(id: "s0", factory: 0, day: d, units: 8, unitCost: 1),
                     Scheduling.Slot(id: "s1", factory: 1, day: d, units: 8, unitCost: 1)]
        let orders = (0..<4).map { Scheduling.Order(id: "o\($0)", quantity: 2, dueDate: d.adding(days: 3), releaseDate: d, pool: "p") }
        let p = Scheduling.Problem(capability: "pcb.fab", asOf: d, factories: factories, slots: slots, orders: orders)
        let optimum = exhaustiveOptimum(p)
        #expect(optimum == Scheduling.Score(hard: 0, unserved: 0, cost: 8 + 200))
        #expect(Scheduling.verify(p, plan: Scheduling.marginalGreedy(p)).score.cost == 8 + 240)
        // Construction alone (no search step) reaches the optimum, every order in the one batch.
        var search = Search(index: ProblemIndex(p), seed: 1)
        search.construct()
        #expect(search.state.score == optimum)
        #expect(search.state.plan().allSatisfy { $0.slot == 1 })
        let result = Scheduling.solve(p, options: .init(seed: 1, maxIterations: 0, workers: 1))
        #expect(result.violations.isEmpty)
        #expect(result.scoreAfter == optimum)
        #expect(result.optimal)
    }

    @Test("solver equals the exhaustive optimum on tiny pooled instances; both bounds stay below it")
    func exhaustive() {
        var rng = Scheduling.SeededRandom(seed: 77)
        var misses = 0
        for caseIndex in 0..<120 {
            let p = tinyPooledProblem(&rng)
            let optimum = exhaustiveOptimum(p)
            let result = Scheduling.solve(p, options: .init(timeLimit: .seconds(60), seed: UInt64(caseIndex), maxIterations: 300, workers: 1))
            #expect(result.violations.isEmpty)
            #expect(optimum <= result.scoreAfter)
            if result.scoreAfter != optimum { misses += 1 }
            let bound = result.bound!
            #expect(bound.isBelowOrEqual(optimum), "case \(caseIndex): bound \(bound) above optimum \(optimum)")
            let index = ProblemIndex(p)
            let flow = Scheduling.bound(index, shouldStop: { false })!
            #expect(flow.isBelowOrEqual(optimum), "case \(caseIndex): flow bound \(flow) above optimum \(optimum)")
            let lagrangian = Scheduling.lagrangianBound(index, shouldStop: { false })!
            #expect(lagrangian.isBelowOrEqual(optimum), "case \(caseIndex): Lagrangian bound \(lagrangian) above optimum \(optimum)")
            let network = BoundNetwork(index)!
            #expect(Scheduling.referenceBound(index, scale: network.scale) == flow)
            let greedy = Scheduling.verify(p, plan: Scheduling.marginalGreedy(p))
            #expect(greedy.isValid)
            #expect(optimum <= greedy.score)
        }
        #expect(misses == 0)
    }

    @Test("the score the solver keeps incrementally equals the verifier's, with pinned and outside units")
    func incrementalScore() {
        for seed in 1...2 {
            var p = Scheduling.generateInstance(.init(shape: .mixed, orders: 16, factories: 5, days: 4, seed: UInt64(seed), withStartPlan: true))
            for f in p.factories.indices {
                p.factories[f].batchCost = Int64(200 * (f + 1))
                p.factories[f].batchUnits = f % 3 == 0 ? nil : 25 * (f + 1)
            }
            for o in p.orders.indices where o % 4 != 0 { p.orders[o].pool = "pool\(o % 3)" }
            for s in p.slots.indices where s % 5 == 0 { p.slots[s].outsidePoolUnits = ["pool1": 7 + s % 11] }
            var search = Search(index: ProblemIndex(p), seed: UInt64(seed))
            search.construct()
            #expect(search.state.score.cost == Scheduling.score(p, plan: search.state.plan()).cost)
            search.improve(maxIterations: 100, target: nil, fraction: { _ in 0.5 }, shouldStop: { _, _ in false })
            #expect(search.state.score.cost == Scheduling.score(p, plan: search.state.plan()).cost)
            let result = Scheduling.solve(p, options: .init(seed: UInt64(seed), maxIterations: 100, workers: 1))
            #expect(result.violations.isEmpty)
            #expect(result.scoreAfter <= result.scoreBefore)
            #expect(!result.fellBack)
            if let bound = result.bound { #expect(bound.isBelowOrEqual(result.scoreAfter)) }
        }
    }
}
