import Testing
import Synchronization
@testable import WeftCore

/// A tiny random problem: 2–3 orders, 2–3 factories, 2 days, few units.
private func tinyProblem(_ rng: inout Scheduling.SeededRandom) -> Scheduling.Problem {
    let asOf = Day(ordinal: 20_000)
    let nf = rng.int(in: 2...3)
    let factories = (0..<nf).map { f in
        Scheduling.Factory(id: "f\(f)", region: rng.chance(0.8) ? "A" : "B", leadDays: rng.int(in: 0...1), setupCost: Int64(rng.int(in: 0...12)))
    }
    var slots: [Scheduling.Slot] = []
    for f in 0..<nf {
        for d in 0..<2 where rng.chance(0.85) {
            slots.append(Scheduling.Slot(id: "s\(slots.count)", factory: f, day: asOf.adding(days: d), units: rng.int(in: 1...3), unitCost: Int64(rng.int(in: 1...6))))
        }
    }
    let orders = (0..<rng.int(in: 2...3)).map { o -> Scheduling.Order in
        let q = rng.int(in: 1...4)
        return Scheduling.Order(id: "o\(o)", quantity: q, dueDate: asOf.adding(days: rng.int(in: 0...2)), releaseDate: asOf,
                                maxUnitCost: rng.chance(0.2) ? 4 : nil, regions: rng.chance(0.2) ? ["A"] : [],
                                minLot: rng.chance(0.6) ? 1 : rng.int(in: 1...q), maxFactories: rng.int(in: 1...2), priority: rng.int(in: 1...5))
    }
    return Scheduling.Problem(capability: "tiny", asOf: asOf, factories: factories, slots: slots, orders: orders)
}

/// The optimum by exhaustive enumeration of every integer plan (no starting plan).
private func exhaustiveOptimum(_ p: Scheduling.Problem) -> Scheduling.Score {
    let eligible = p.orders.indices.map { p.eligibleSlots(order: $0) }
    var free = p.slots.map(\.units)
    var best = Scheduling.Score(hard: 0, unserved: .max, cost: .max)
    var x = [[Int]](repeating: [], count: p.orders.count)
    func orderValid(_ o: Int) -> (served: Int, cost: Int64)? {
        var perFactory = [Int: Int]()
        var served = 0, cost: Int64 = 0
        for (i, s) in eligible[o].enumerated() where x[o][i] > 0 {
            perFactory[p.slots[s].factory, default: 0] += x[o][i]
            served += x[o][i]
            cost += Int64(x[o][i]) * p.slots[s].unitCost
        }
        if perFactory.count > p.orders[o].maxFactories { return nil }
        for (f, units) in perFactory {
            if units < p.orders[o].minLot { return nil }
            cost += p.factories[f].setupCost
        }
        return (served, cost)
    }
    func visit(_ o: Int, _ i: Int, _ left: Int, _ unserved: Int64, _ cost: Int64) {
        if o == p.orders.count {
            let score = Scheduling.Score(hard: 0, unserved: unserved, cost: cost)
            if score < best { best = score }
            return
        }
        if i == eligible[o].count {
            guard let r = orderValid(o) else { return }
            let missing = Int64(p.orders[o].quantity - r.served) * Int64(p.orders[o].priority)
            visit(o + 1, 0, o + 1 < p.orders.count ? p.orders[o + 1].quantity : 0, unserved + missing, cost + r.cost)
            return
        }
        let s = eligible[o][i]
        for units in 0...min(left, free[s]) {
            x[o][i] = units
            free[s] -= units
            visit(o, i + 1, left - units, unserved, cost)
            free[s] += units
        }
        x[o][i] = 0
    }
    for o in p.orders.indices { x[o] = [Int](repeating: 0, count: eligible[o].count) }
    visit(0, 0, p.orders.first?.quantity ?? 0, 0, 0)
    return best
}

/// The shapes without pools: the solving tests here run on them (pooled shapes are slow to solve
/// in debug builds; PooledSolverTests cover runs with pools, the cheap checks below all shapes).
private let classicShapes: [Scheduling.InstanceShape] = [.tinyOrders, .largeOrders, .overloaded, .mixed]

private func options(seed: UInt64, iterations: Int) -> Scheduling.SolverOptions {
    Scheduling.SolverOptions(timeLimit: .seconds(60), seed: seed, maxIterations: iterations, computeBound: true, workers: 1)
}

@Suite("Solver, bound and greedy")
struct SolverTests {
    @Test("solver equals the exhaustive optimum on tiny random instances; bound and greedy are consistent")
    func exhaustive() {
        var rng = Scheduling.SeededRandom(seed: 2024)
        // Cases where the naive greedy is strictly worse than the optimum, and where the optimum
        // leaves units unserved: without some of each, matching the optimum would prove little.
        var greedyBeaten = 0, shortOptima = 0
        for caseIndex in 0..<100 {
            let p = tinyProblem(&rng)
            let optimum = exhaustiveOptimum(p)
            let result = Scheduling.solve(p, options: options(seed: UInt64(caseIndex), iterations: 200))
            #expect(result.violations.isEmpty)
            #expect(result.scoreAfter == optimum, "case \(caseIndex): solver \(result.scoreAfter) vs optimum \(optimum)")
            let bound = result.bound!
            #expect(bound.isBelowOrEqual(optimum), "case \(caseIndex): bound \(bound) above optimum \(optimum)")
            let lagrangian = Scheduling.lagrangianBound(ProblemIndex(p), shouldStop: { false })!
            #expect(lagrangian.isBelowOrEqual(optimum), "case \(caseIndex): Lagrangian bound \(lagrangian) above optimum \(optimum)")
            let greedy = Scheduling.verify(p, plan: Scheduling.naiveGreedy(p))
            #expect(greedy.isValid)
            #expect(optimum <= greedy.score)
            if optimum < greedy.score { greedyBeaten += 1 }
            if optimum.unserved > 0 { shortOptima += 1 }
        }
        #expect(greedyBeaten >= 5, "only \(greedyBeaten) of 100 tiny cases separate the solver from greedy")
        #expect(shortOptima >= 5, "only \(shortOptima) of 100 tiny cases are short of capacity")
    }

    @Test("the two bound algorithms agree", arguments: Scheduling.InstanceShape.allCases)
    func boundsAgree(shape: Scheduling.InstanceShape) {
        for seed in 1...3 {
            let p = Scheduling.generateInstance(.init(shape: shape, orders: 25, factories: 6, days: 5, seed: UInt64(seed), withStartPlan: seed != 1))
            let index = ProblemIndex(p)
            let fast = Scheduling.bound(index, shouldStop: { false })!
            let network = BoundNetwork(index)!
            let reference = Scheduling.referenceBound(index, scale: network.scale)!
            #expect(fast == reference, "\(shape) seed \(seed)")
        }
    }

    @Test("on every shape: valid, stable, pinned, never worse than the start, bounded, deterministic",
          arguments: classicShapes)
    func shapes(shape: Scheduling.InstanceShape) {
        for seed in 1...4 {
            let p = Scheduling.generateInstance(.init(shape: shape, orders: 40, factories: 8, days: 6, seed: UInt64(seed), withStartPlan: true))
            #expect(p.allocations.contains { $0.pinned })
            let start = Scheduling.verify(p, plan: p.allocations, start: p.allocations)
            #expect(start.isValid, "the generated starting plan is valid")
            let result = Scheduling.solve(p, options: options(seed: 7, iterations: 300))
            let check = Scheduling.verify(p, plan: result.plan, start: p.allocations)
            #expect(check.isValid, "\(shape) seed \(seed): \(check.violations.prefix(3))")
            #expect(check.score == result.scoreAfter)
            #expect(!result.fellBack)
            #expect(result.scoreAfter <= result.scoreBefore)
            #expect(result.bound.map { $0.isBelowOrEqual(result.scoreAfter) } ?? false)
            // Pinned allocations are all still there, unchanged.
            let pinnedBefore = Scheduling.canonical(p.allocations.filter(\.pinned))
            #expect(Scheduling.canonical(result.plan.filter(\.pinned)) == pinnedBefore)
            // The greedy baseline is valid too, and the solver is at least as good.
            let greedy = Scheduling.verify(p, plan: Scheduling.naiveGreedy(p), start: p.allocations)
            #expect(greedy.isValid)
            #expect(result.scoreAfter <= greedy.score)
            // Same seed, same plan.
            let again = Scheduling.solve(p, options: options(seed: 7, iterations: 300))
            #expect(again.plan == result.plan)
            // The reported changes turn the starting plan's movable units into the result's.
            var units: [[Int]: Int] = [:]
            for a in p.allocations where !a.pinned { units[[a.order, a.slot], default: 0] += a.units }
            for change in result.changes {
                #expect(units[[change.order, change.slot]] ?? 0 == change.before, "\(shape) seed \(seed): \(change)")
                #expect(change.before != change.after)
                units[[change.order, change.slot]] = change.after
            }
            var resultUnits: [[Int]: Int] = [:]
            for a in result.plan where !a.pinned { resultUnits[[a.order, a.slot], default: 0] += a.units }
            #expect(units.filter { $0.value != 0 } == resultUnits, "\(shape) seed \(seed)")
            if result.scoreAfter < result.scoreBefore { #expect(!result.changes.isEmpty) }
        }
    }

    @Test("several capabilities solve in parallel, each as if alone")
    func parallel() async {
        let problems = classicShapes.enumerated().map { i, shape in
            Scheduling.generateInstance(.init(shape: shape, orders: 20, factories: 5, days: 4, seed: UInt64(10 + i)))
        }
        let opts = Scheduling.SolverOptions(timeLimit: .seconds(60), seed: 3, maxIterations: 60, computeBound: false, workers: 2)
        let results = await Scheduling.solveAll(problems, options: opts)
        #expect(results.map(\.capability) == problems.map(\.capability))
        for (p, r) in zip(problems, results) {
            #expect(r.plan == Scheduling.solve(p, options: opts).plan)
            #expect(r.violations.isEmpty)
        }
    }

    @Test("each capability's result is handed over once, as soon as it is ready, before the call completes")
    func handedOverAsSolved() async {
        let problems = classicShapes.enumerated().map { i, shape in
            Scheduling.generateInstance(.init(shape: shape, orders: 20, factories: 5, days: 4, seed: UInt64(20 + i)))
        }
        let opts = Scheduling.SolverOptions(timeLimit: .seconds(60), seed: 3, maxIterations: 40, computeBound: false, workers: 2)
        let delivered = Mutex<[(position: Int, plan: [Scheduling.Allocation])]>([])
        let (all, seenAtCompletion) = await withCheckedContinuation { continuation in
            Scheduling.solveAll(problems, options: opts, progress: nil, solved: { position, result in
                delivered.withLock { $0.append((position, result.plan)) }
            }, completion: { results in
                continuation.resume(returning: (results, delivered.withLock { $0.count }))
            })
        }
        #expect(seenAtCompletion == problems.count)
        let byPosition = delivered.withLock { Dictionary(grouping: $0, by: \.position) }
        #expect(byPosition.keys.sorted() == Array(problems.indices))
        for (position, result) in all.enumerated() {
            #expect(byPosition[position]?.count == 1)
            #expect(byPosition[position]?.first?.plan == result.plan)
        }
    }

    @Test("a spent time limit stops the search before its first step, and the plan is still valid and no worse")
    func timeLimit() {
        let p = Scheduling.generateInstance(.init(shape: .mixed, orders: 150, factories: 20, days: 7, seed: 5, withStartPlan: true))
        let spent = Scheduling.solve(p, options: .init(timeLimit: .zero, seed: 1, computeBound: false))
        #expect(spent.iterations == 0)
        #expect(spent.violations.isEmpty)
        #expect(spent.scoreAfter <= spent.scoreBefore)
        #expect(!spent.fellBack)
        // The same problem with time to spare does search: the limit, not the problem, stopped it.
        let searched = Scheduling.solve(p, options: options(seed: 1, iterations: 50))
        #expect(searched.iterations > 0)
    }

    @Test("an invalid starting plan is repaired, not kept")
    func invalidStart() {
        var p = worldProblem()
        // o1 sits in a slot that became too late for it (unpinned): the run moves it.
        p.allocations = [Scheduling.Allocation(order: 1, slot: 1, units: 4)]
        let result = Scheduling.solve(p, options: options(seed: 1, iterations: 50))
        #expect(result.scoreBefore.hard == 1)
        #expect(result.scoreAfter.hard == 0)
        #expect(!result.plan.contains { $0.order == 1 && $0.slot == 1 })
    }
}

@Suite("Lagrangian bound")
struct LagrangianBoundTests {
    @Test("never above the solver's plan, on every shape, with and without a starting plan", arguments: classicShapes)
    func belowSolved(shape: Scheduling.InstanceShape) {
        for seed in 1...3 {
            let p = Scheduling.generateInstance(.init(shape: shape, orders: 80, factories: 15, days: 8, seed: UInt64(seed), withStartPlan: seed != 1))
            let lagrangian = Scheduling.lagrangianBound(ProblemIndex(p), shouldStop: { false })!
            let result = Scheduling.solve(p, options: options(seed: 1, iterations: 300))
            #expect(lagrangian.isBelowOrEqual(result.scoreAfter), "\(shape) seed \(seed): \(lagrangian) vs \(result.scoreAfter)")
            // At least as strong as each order alone in all the capacity (its τ = 0 case).
            #expect(lagrangian.cost > 0 || result.scoreAfter.cost == 0)
        }
    }

    @Test("stopped at once, it still gives its τ = 0 bound: valid, and no stronger than the full search", arguments: classicShapes)
    func stoppedAtOnce(shape: Scheduling.InstanceShape) {
        for seed in 1...3 {
            let p = Scheduling.generateInstance(.init(shape: shape, orders: 80, factories: 15, days: 8, seed: UInt64(seed), withStartPlan: seed == 2))
            let index = ProblemIndex(p)
            let full = Scheduling.lagrangianBound(index, shouldStop: { false })!
            let stopped = Scheduling.lagrangianBound(index, shouldStop: { true })
            #expect(stopped != nil, "\(shape) seed \(seed): no bound when stopped at once")
            guard let stopped else { continue }
            #expect(stopped.unserved == full.unserved)
            #expect(stopped.cost <= full.cost)
            let result = Scheduling.solve(p, options: options(seed: 1, iterations: 300))
            #expect(stopped.isBelowOrEqual(result.scoreAfter), "\(shape) seed \(seed): \(stopped) vs \(result.scoreAfter)")
        }
    }
}

@Suite("Problem index")
struct ProblemIndexTests {
    @Test("the solver's candidate slots are exactly the eligible ones", arguments: Scheduling.InstanceShape.allCases)
    func candidatesAreEligible(shape: Scheduling.InstanceShape) {
        let p = Scheduling.generateInstance(.init(shape: shape, orders: 60, factories: 12, days: 8, seed: 9, withStartPlan: true))
        let index = ProblemIndex(p)
        for o in p.orders.indices {
            let c = index.candidates[o]
            #expect(Set(c.segSlot) == Set(p.eligibleSlots(order: o)), "order \(o)")
            #expect(c.segSlot.count == Set(c.segSlot).count)
            // Within a factory, segments are sorted by unit cost.
            for f in 0..<c.count where c.segStart[f + 1] - c.segStart[f] > 1 {
                for i in (c.segStart[f] + 1)..<c.segStart[f + 1] { #expect(c.segPrice[i - 1] <= c.segPrice[i]) }
            }
        }
    }
}
