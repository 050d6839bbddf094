import Dispatch
import Synchronization

extension Scheduling {
    /// Which computation proved a capability's bound (reported with run results).
    public enum BoundMethod: String, Sendable, Hashable, Codable, CaseIterable {
        /// Each order alone in all the free capacity, placed exactly (``Search``'s construction).
        case perOrder = "per_order"
        /// The transportation (min-cost flow) relaxation, ``Scheduling/bound(_:shouldStop:)``.
        case transportation
        /// The Lagrangian relaxation of slot capacities (large problems).
        case lagrangian
        /// Branch and bound on the exact mixed-integer model (CBC): its best proven bound, equal
        /// to the plan's score when it proved optimality.
        case mip
    }
}

/// The exact step of ``Scheduling/solve(_:options:progress:)``, when the capability's
/// mixed-integer model is small enough (``Scheduling/SolverOptions/exactColumnLimit``, and
/// ``Scheduling/SolverOptions/exactColumnsPerSecond`` of the time limit).
///
/// With two or more threads for the solve (`options.workers`), CBC starts right after
/// construction on a thread of its own, seeded with the constructed plan, and runs until the
/// search's deadline while the search goes on; the search stops early once CBC has proved
/// optimality. With one thread, the search runs first (40 % of its time) and CBC gets the rest,
/// seeded with the search's best plan. Either way CBC's plan is a candidate that the caller
/// verifies, and its bound is kept when lexicographically larger (both are valid, so the
/// larger is too).
///
/// Models over the exact limit but within ``Scheduling/SolverOptions/rootBoundColumnLimit`` (off by default) get
/// CBC's root bound only (node limit 0: the LP relaxation with the linking, minimum-lot and
/// split rows, plus root cuts), in parallel mode only: a stronger bound where it finishes in
/// time, never at the search's expense.
final class ExactRun: @unchecked Sendable {
    let index: ProblemIndex
    /// Column limit of the model (built on CBC's thread in parallel mode).
    let limit: Int
    let parallel: Bool
    let nodeLimit: Int?
    let solver: any MIPSolver
    /// Over ``Scheduling/SolverOptions/exactColumnLimit``: CBC's root bound only (node limit 0).
    let rootOnly: Bool
    private let lock = Mutex<(outcome: Scheduling.ExactOutcome?, proven: Bool, finished: Bool)>((nil, false, false))
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init?(_ index: ProblemIndex, options: Scheduling.SolverOptions) {
        guard let solver = options.mipSolver, options.exactColumnLimit > 0, !index.problem.orders.isEmpty,
              options.maxIterations == nil || options.exactNodeLimit != nil else { return nil }
        parallel = options.workers >= 2
        var exactLimit = options.exactColumnLimit
        if options.exactColumnsPerSecond > 0 {
            exactLimit = min(exactLimit, Int(Double(options.exactColumnsPerSecond) * Scheduling.seconds(options.timeLimit)))
        }
        let limit = parallel ? max(exactLimit, options.rootBoundColumnLimit) : exactLimit
        let columns = ExactModel.columnEstimate(index)
        guard columns <= limit else { return nil }
        self.index = index
        self.limit = limit
        self.solver = solver
        rootOnly = columns > exactLimit
        nodeLimit = rootOnly ? 0 : options.exactNodeLimit
    }

    var isProven: Bool { lock.withLock { $0.proven } }

    /// In parallel mode, starts CBC now on another thread, until `deadline`.
    func startParallel(incumbent: [Scheduling.Allocation], unservedBound: Int64?, until deadline: ContinuousClock.Instant,
                       clock: ContinuousClock) {
        guard parallel else { return }
        let limit = clock.now.duration(to: deadline)
        guard limit > .milliseconds(20) else { return }
        started = true
        let columnLimit = self.limit
        // Its own thread: it mostly waits for the worker process (see runOnDedicatedThread).
        runOnDedicatedThread { [self] in
            let score = Scheduling.verify(index.problem, plan: incumbent, start: index.problem.allocations).score
            var outcome: Scheduling.ExactOutcome? = nil
            if let model = ExactModel(index, columnLimit: columnLimit) {
                let left = clock.now.duration(to: deadline)
                outcome = Scheduling.exactSolve(index, model: model, incumbent: (incumbent, score),
                                                unservedBound: unservedBound, timeLimit: left, solver: solver, nodeLimit: nodeLimit)
            }
            lock.withLock { $0 = (outcome, outcome?.proven ?? false, true) }
            done.signal()
        }
    }

    /// Whether CBC is still solving in parallel mode (it has neither answered nor proved).
    var isRunning: Bool { started && !lock.withLock { $0.finished } }

    /// The outcome: in parallel mode waits for CBC (it keeps to the same deadline); in
    /// sequential mode runs CBC now, seeded with the search's best plan, until `deadline`.
    ///
    /// `secondLeg` (parallel mode; the search stopped because it had stagnated,
    /// ``Scheduling/SolverOptions/stagnantSearchShare``): while the first CBC goes on, a second
    /// one solves the model on the search's thread, seeded with the search's best plan, until
    /// `deadline`. The outcome is then the better plan of the two and the larger bound (both
    /// valid, so the larger is too).
    func finish(search: Search, bound: Scheduling.Bound?, until deadline: ContinuousClock.Instant,
                clock: ContinuousClock, secondLeg: Bool = false) -> Scheduling.ExactOutcome? {
        let unservedBound = bound?.unserved
        if parallel {
            guard started else { return nil }
            var second: Scheduling.ExactOutcome? = nil
            if secondLeg, isRunning, clock.now.duration(to: deadline) > .milliseconds(100) {
                second = solveFromSearch(search, bound: bound, until: deadline, clock: clock)
            }
            done.wait()
            let first = lock.withLock { $0.outcome }
            guard let second else { return first }
            return first.map { $0.merged(with: second, problem: index.problem) } ?? second
        }
        return solveFromSearch(search, bound: bound, until: deadline, clock: clock)
    }

    /// CBC now, on this thread, seeded with the search's best plan, until `deadline`; nil when
    /// that plan already meets `bound`.
    private func solveFromSearch(_ search: Search, bound: Scheduling.Bound?, until deadline: ContinuousClock.Instant,
                                 clock: ContinuousClock) -> Scheduling.ExactOutcome? {
        let limit = clock.now.duration(to: deadline)
        guard limit > .milliseconds(20) else { return nil }
        var plan = index.pinned
        for (o, list) in search.bestAlloc.enumerated() {
            for a in list { plan.append(Scheduling.Allocation(order: o, slot: a.slot, units: a.units)) }
        }
        plan = Scheduling.canonical(plan)
        let score = Scheduling.verify(index.problem, plan: plan, start: index.problem.allocations).score
        // The search may have met the bound already: nothing left to prove.
        if let bound, bound.isMet(by: score) { return nil }
        guard let model = ExactModel(index, columnLimit: self.limit) else { return nil }
        return Scheduling.exactSolve(index, model: model, incumbent: (plan, score), unservedBound: bound?.unserved,
                                     timeLimit: clock.now.duration(to: deadline), solver: solver, nodeLimit: nodeLimit)
    }
}

extension Scheduling.ExactOutcome {
    /// Two solves of the same model combined: the plan scoring lower (each is verified by the
    /// caller), the lexicographically larger bound (each is valid, so the larger is too),
    /// proven if either was.
    func merged(with other: Scheduling.ExactOutcome, problem: Scheduling.Problem) -> Scheduling.ExactOutcome {
        var result = self
        switch (plan, other.plan) {
        case (nil, let p?): result.plan = p
        case (let a?, let b?):
            if Scheduling.score(problem, plan: b) < Scheduling.score(problem, plan: a) { result.plan = b }
        default: break
        }
        if let b = other.bound, result.bound.map({ (b.unserved, b.cost) > ($0.unserved, $0.cost) }) ?? true { result.bound = b }
        result.proven = proven || other.proven
        result.seconds = max(seconds, other.seconds)
        result.nodes = nodes + other.nodes
        result.failure = failure ?? other.failure
        return result
    }
}

extension Scheduling.Bound {
    /// `(score.unserved − unserved) / score.unserved`, 0 when they are equal (or both 0).
    public func unservedGap(of score: Scheduling.Score) -> Double {
        guard score.unserved > unserved, score.unserved > 0 else { return 0 }
        return Double(score.unserved - unserved) / Double(score.unserved)
    }

    /// Whether a valid plan scoring `score` meets this bound in both parts, i.e. is proven optimal.
    public func isMet(by score: Scheduling.Score) -> Bool {
        score.hard == 0 && score.unserved == unserved && score.cost == cost
    }
}
