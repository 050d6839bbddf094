import Testing
@testable import WeftCore
import WeftMIP

/// The real worker, built beside the test runner (`swift build --build-tests` builds it); the
/// grace is generous so that a loaded machine does not turn a test's solve into a kill.
func realWorker() throws -> ProcessMIPSolver {
    var worker = try #require(ProcessMIPSolver.besideExecutable(), "weft-mip-worker is not built beside the tests")
    worker.grace = .seconds(30)
    return worker
}

/// A tiny random problem for the exact solver: 2–3 orders, 2–3 factories, 2 days, few units;
/// with `pooled`, batch costs (limited or unlimited batches) and orders sharing a pool; with
/// `start`, a starting plan with a pinned unit and an unpinned one (a stability floor).
func tinyProblem(_ rng: inout Scheduling.SeededRandom, pooled: Bool, start: Bool) -> Scheduling.Problem {
    let asOf = Day(ordinal: 20_000)
    let nf = rng.int(in: 2...3)
    let factories = (0..<nf).map { f in
        Scheduling.Factory(id: "f\(f)", region: rng.chance(0.8) ? "A" : "B", leadDays: rng.int(in: 0...1), setupCost: Int64(rng.int(in: 0...12)),
                           batchCost: pooled ? Int64(rng.int(in: 0...9)) : 0, batchUnits: pooled && rng.chance(0.5) ? rng.int(in: 1...2) : nil)
    }
    var slots: [Scheduling.Slot] = []
    for f in 0..<nf {
        for d in 0..<2 where rng.chance(0.85) {
            var slot = Scheduling.Slot(id: "s\(slots.count)", factory: f, day: asOf.adding(days: d), units: rng.int(in: 1...3), unitCost: Int64(rng.int(in: 1...6)))
            if pooled && rng.chance(0.3) { slot.outsidePoolUnits = ["P": rng.int(in: 1...2)] }
            slots.append(slot)
        }
    }
    let orders = (0..<rng.int(in: 2...3)).map { o -> Scheduling.Order in
        let q = rng.int(in: 1...4)
        return Scheduling.Order(id: "o\(o)", quantity: q, dueDate: asOf.adding(days: rng.int(in: 0...2)), releaseDate: asOf,
                                maxUnitCost: rng.chance(0.2) ? 4 : nil, regions: rng.chance(0.2) ? ["A"] : [],
                                minLot: rng.chance(0.6) ? 1 : rng.int(in: 1...q), maxFactories: rng.int(in: 1...2), priority: rng.int(in: 1...5),
                                pool: pooled && rng.chance(0.6) ? "P" : nil)
    }
    var problem = Scheduling.Problem(capability: "tiny", asOf: asOf, factories: factories, slots: slots, orders: orders)
    if start {
        for o in orders.indices.shuffled(using: &rng).prefix(2) {
            let eligible = problem.eligibleSlots(order: o)
            guard let s = eligible.first else { continue }
            problem.allocations.append(Scheduling.Allocation(order: o, slot: s, units: 1, pinned: o == 0))
        }
    }
    return problem
}

/// The best valid plan by enumerating every integer assignment of movable units (the pinned
/// ones kept), each scored by the verifier against the starting plan; nil when none is valid.
func oracle(_ p: Scheduling.Problem) -> Scheduling.Score? {
    let pinned = p.allocations.filter(\.pinned)
    var free = p.slots.map(\.units)
    var pinnedOfOrder = [Int](repeating: 0, count: p.orders.count)
    for a in pinned { free[a.slot] -= a.units; pinnedOfOrder[a.order] += a.units }
    let eligible = p.orders.indices.map { p.eligibleSlots(order: $0) }
    var best: Scheduling.Score? = nil
    var plan = pinned
    func visit(_ o: Int, _ i: Int, _ left: Int) {
        if o == p.orders.count {
            let v = Scheduling.verify(p, plan: plan, start: p.allocations)
            if v.isValid, best.map({ v.score < $0 }) ?? true { best = v.score }
            return
        }
        if i == eligible[o].count {
            let next = o + 1
            visit(next, 0, next < p.orders.count ? max(0, p.orders[next].quantity - pinnedOfOrder[next]) : 0)
            return
        }
        let s = eligible[o][i]
        for units in 0...max(0, min(left, free[s])) {
            if units > 0 { plan.append(Scheduling.Allocation(order: o, slot: s, units: units)); free[s] -= units }
            visit(o, i + 1, left - units)
            if units > 0 { plan.removeLast(); free[s] += units }
        }
    }
    visit(0, 0, p.orders.isEmpty ? 0 : max(0, p.orders[0].quantity - pinnedOfOrder[0]))
    return best
}

@Suite("Exact solver (CBC in weft-mip-worker)")
struct ExactTests {
    @Test("the exact model finds and proves the exhaustive optimum: plain, pooled (batch costs), with a starting plan",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func exhaustive(pooled: Bool, start: Bool) throws {
        let worker = try realWorker()
        var rng = Scheduling.SeededRandom(seed: 77 + (pooled ? 1 : 0) + (start ? 2 : 0))
        var proven = 0
        for caseIndex in 0..<40 {
            let p = tinyProblem(&rng, pooled: pooled, start: start)
            guard let optimum = oracle(p) else { continue }
            let index = ProblemIndex(p)
            let model = ExactModel(index, columnLimit: 10_000)!
            let outcome = Scheduling.exactSolve(index, model: model, incumbent: nil, unservedBound: nil, timeLimit: .seconds(30), solver: worker)
            guard let bound = outcome.bound, let plan = outcome.plan else {
                Issue.record("case \(caseIndex): no bound or plan; optimum \(optimum), \(model.xCount) x, \(model.rowCount) rows, \(p)")
                continue
            }
            #expect(bound.isBelowOrEqual(optimum), "case \(caseIndex): bound \(bound) above the optimum \(optimum)")
            #expect(outcome.proven, "case \(caseIndex)")
            let verified = Scheduling.verify(p, plan: plan, start: p.allocations)
            #expect(verified.isValid, "case \(caseIndex): \(verified.violations)")
            #expect(verified.score == optimum, "case \(caseIndex): exact \(verified.score) vs optimum \(optimum)")
            #expect(bound.isMet(by: verified.score))
            if outcome.proven { proven += 1 }
        }
        #expect(proven >= 30)
    }

    @Test("solve reports optimal with a bound from the exact step, on one thread and on two", arguments: [1, 2])
    func solveReportsOptimal(workers: Int) throws {
        let worker = try realWorker()
        var rng = Scheduling.SeededRandom(seed: 4242)
        for caseIndex in 0..<25 {
            let p = tinyProblem(&rng, pooled: caseIndex % 2 == 1, start: caseIndex % 3 == 2)
            guard let optimum = oracle(p) else { continue }
            var options = Scheduling.SolverOptions(timeLimit: .seconds(30), seed: UInt64(caseIndex), maxIterations: 50, workers: workers)
            options.exactNodeLimit = 10_000
            options.exactColumnLimit = 30_000
            options.mipSolver = worker
            let result = Scheduling.solve(p, options: options)
            #expect(result.violations.isEmpty)
            #expect(result.scoreAfter == optimum, "case \(caseIndex): \(result.scoreAfter) vs \(optimum)")
            #expect(result.optimal, "case \(caseIndex): bound \(String(describing: result.bound)) by \(String(describing: result.boundMethod))")
        }
    }

    @Test("without the exact step the bound stays valid and optimal is claimed only when the score meets it")
    func withoutExact() throws {
        let worker = try realWorker()
        var rng = Scheduling.SeededRandom(seed: 99)
        for caseIndex in 0..<25 {
            let p = tinyProblem(&rng, pooled: true, start: false)
            guard let optimum = oracle(p) else { continue }
            var options = Scheduling.SolverOptions(timeLimit: .seconds(30), seed: 1, maxIterations: 50, workers: 1)
            options.exactColumnLimit = 0
            options.mipSolver = worker
            let result = Scheduling.solve(p, options: options)
            #expect(result.exactNodes == 0 && result.exactSeconds == 0 && result.boundMethod != .mip)
            let bound = result.bound!
            #expect(bound.isBelowOrEqual(optimum), "case \(caseIndex)")
            #expect(result.optimal == (result.scoreAfter == Scheduling.Score(hard: 0, unserved: bound.unserved, cost: bound.cost)))
        }
    }

    @Test("a model over the column limit is not built")
    func columnLimit() {
        let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: .mixed, orders: 60, factories: 10, days: 7, seed: 3))
        let index = ProblemIndex(p)
        #expect(ExactModel(index, columnLimit: 50) == nil)
        #expect(ExactModel(index, columnLimit: 1_000_000) != nil)
    }
}
