import Dispatch

extension Scheduling {
    /// How a run searches.
    public struct SolverOptions: Sendable {
        /// Wall-clock budget of one capability's solve: bound, construction, search, polish
        /// (construction always completes, even past it).
        public var timeLimit: Duration
        /// Seeds the search; with the same seed, the same problem and a search that ends by
        /// `maxIterations` (not by the clock) the plan is the same on every run.
        public var seed: UInt64
        /// Upper limit on ruin-and-recreate steps per capability (nil: until the time limit).
        public var maxIterations: Int?
        /// Compute the lower bound (before searching: a plan that reaches it ends the search).
        public var computeBound: Bool
        /// Budget of the bound computation; it reports nil if it does not finish.
        public var boundTimeLimit: Duration
        /// How many capabilities ``Scheduling/solveAll(_:options:progress:)`` solves at once.
        public var workers: Int
        /// Branch-and-bound node limit of each single-order placement inside the search.
        public var placementNodeLimit: Int
        /// Solves the exact step's mixed-integer programs (nil: no exact step). WeftCore never
        /// runs a solver itself: the server passes one that runs CBC in a child process
        /// (target WeftMIP), so that a crash inside CBC costs only that solve.
        public var mipSolver: (any MIPSolver)? = nil
        /// Solve the capability exactly (with `mipSolver`) when its model has at most this many
        /// columns (0: never); see ``Scheduling/exactSolve(_:model:incumbent:unservedBound:timeLimit:solver:nodeLimit:)``.
        public var exactColumnLimit: Int = 30_000
        /// Branch-and-bound nodes of each CBC stage; nil: until the time limit. A search ended by
        /// `maxIterations` (tests, deterministic plans) runs the exact step only when this is set
        /// (CBC's root cut loop also looks at the clock, so even a node limit is not fully
        /// deterministic under load).
        public var exactNodeLimit: Int? = nil
        /// …and at most this many columns per second of `timeLimit` (0: no such limit). CBC does
        /// not look at the clock while it solves the root LP, so a model too large for the time
        /// overruns it, is killed and yields nothing while its process takes CPU from the search:
        /// on 2 loaded cores a 2 s solve finished the root of a 4,700-column model and not of a
        /// 6,300-column one (benchmarks/README.md, "Small instances").
        public var exactColumnsPerSecond: Int = 2_500
        /// Larger models, up to this many columns, get CBC's root bound only (its LP relaxation
        /// with cuts, no branching), and only when the solve has a spare thread for it. Off (0) by
        /// default: CBC did not finish the root LP of a 400 × 60 × 14 model (105,000 columns) in
        /// 30 s of CPU, nor of a 22,000-column one in 9 s.
        public var rootBoundColumnLimit: Int = 0
        /// With two threads for the solve (CBC on one, the search on the other): once the
        /// search's best plan has not improved for this share of its time, the search stops and
        /// its thread solves the model with CBC a second time, seeded with that plan, beside the
        /// first CBC (0: never, the default: on the small-instance sweep it won as often as it
        /// lost; see docs/scheduling.md, "Exact solving").
        public var stagnantSearchShare: Double = 0

        public init(timeLimit: Duration = .seconds(2), seed: UInt64 = 1, maxIterations: Int? = nil,
                    computeBound: Bool = true, boundTimeLimit: Duration = .seconds(5), workers: Int = 2,
                    placementNodeLimit: Int = 5_000) {
            self.timeLimit = timeLimit
            self.seed = seed
            self.maxIterations = maxIterations
            self.computeBound = computeBound
            self.boundTimeLimit = boundTimeLimit
            self.workers = max(1, workers)
            self.placementNodeLimit = placementNodeLimit
        }
    }

    /// The outcome of solving one capability.
    public struct SolveResult: Sendable {
        public var capability: String
        /// The plan to write: pinned allocations unchanged plus the movable ones, canonical.
        public var plan: [Allocation]
        /// Score of the starting plan (`problem.allocations`), verified against itself.
        public var scoreBefore: Score
        /// Score of `plan`, verified against the starting plan (stability and pinning included).
        public var scoreAfter: Score
        /// Violations of `plan` (empty unless the starting plan itself was invalid and kept).
        public var violations: [Violation]
        /// Proven lower bound, nil if not computed or not finished in its budget.
        public var bound: Bound?
        /// Which computation proved `bound`.
        public var boundMethod: BoundMethod?
        /// Whether `scoreAfter` equals `bound` (both parts): the plan is proven optimal.
        public var optimal: Bool { bound?.isMet(by: scoreAfter) ?? false }
        /// The unpinned (order, slot) units that differ from the starting plan.
        public var changes: [PlanChange]
        /// `changes.count`.
        public var moved: Int { changes.count }
        /// True when the search's plan was rejected by the final check and the starting plan
        /// returned instead (should not happen; reported so that it is seen if it does).
        public var fellBack: Bool
        public var iterations: Int
        public var boundSeconds: Double
        public var searchSeconds: Double
        /// Time and branch-and-bound nodes of the exact (CBC) step, 0 when it did not run.
        public var exactSeconds: Double = 0
        public var exactNodes: Int = 0
        /// Why the exact step's MIP solver produced nothing, when it failed (crashed, killed at
        /// its time limit, ...): the plan and bound are then the search's. nil otherwise.
        public var exactFailure: String? = nil
    }

    /// Re-optimises one capability: construction, then large neighbourhood search until the time
    /// limit, then the verifier. Never returns a plan scoring worse than the starting one, never
    /// moves pinned units, never leaves an order with fewer units than its floor.
    ///
    /// `progress` (0...1) is called from the solving thread now and then.
    public static func solve(_ problem: Problem, options: SolverOptions = SolverOptions(),
                             progress: ((Double) -> Void)? = nil) -> SolveResult {
        let clock = ContinuousClock()
        let started = clock.now
        let index = ProblemIndex(problem)
        let before = verify(problem, plan: problem.allocations, start: problem.allocations)

        // One deadline for everything: the bound may use a share of it, construction always
        // completes, the search gets the rest.
        let deadline = started.advanced(by: options.timeLimit)
        var flowBound: Bound? = nil
        if options.computeBound {
            let share = min(options.boundTimeLimit, options.timeLimit * 0.25)
            // Skip an attempt that cannot finish in its share (the network has about one arc per
            // candidate (order, factory) pair; network simplex needs roughly 10 µs per arc on
            // such networks): the time is better spent searching.
            let pairs = index.pairCount
            let boundDeadline = clock.now.advanced(by: share)
            if Double(pairs) * 10e-6 < seconds(share) * 1.5 {
                flowBound = Scheduling.bound(index, shouldStop: { clock.now >= boundDeadline })
            }
        }
        var boundSeconds = seconds(started.duration(to: clock.now))
        progress?(0.05)

        // What must follow the search comes out of the same deadline: the final polish and,
        // when the flow bound was not computed, the Lagrangian bound (slices of the limit).
        let finishShare = Duration.milliseconds(50) + options.timeLimit / 20
        let lagrangianShare = options.computeBound && flowBound == nil ? max(.milliseconds(100), options.timeLimit * 0.15) : .zero
        let searchDeadline = deadline.advanced(by: .zero - finishShare - lagrangianShare)
        let searchStart = clock.now
        let budget = max(1e-9, seconds(searchStart.duration(to: searchDeadline)))
        var search = Search(index: index, seed: options.seed)
        search.state.nodeLimit = options.placementNodeLimit
        // Construction may use up to half of what is left; it always yields a valid plan.
        let constructionDeadline = clock.now.advanced(by: clock.now.duration(to: searchDeadline) / 2)
        search.construct(shouldStop: { clock.now >= constructionDeadline })
        // The per-order bound (each order alone in all the capacity) is free after construction;
        // keep whichever bound is larger — both are valid, so their maximum is too.
        var bound: Bound? = nil
        var boundMethod: BoundMethod? = nil
        if options.computeBound {
            bound = search.soloBound
            boundMethod = bound == nil ? nil : .perOrder
            if let flow = flowBound {
                if let solo = bound, (flow.unserved, flow.cost) <= (solo.unserved, solo.cost) { } else { bound = flow; boundMethod = .transportation }
            }
        }
        // Small enough for the exact model: CBC on a thread of its own beside the search, or
        // after 40 % of the search when this solve has one thread (see Solver+Exact).
        let exactRun = ExactRun(index, options: options)
        exactRun?.startParallel(incumbent: search.state.plan(), unservedBound: bound?.unserved, until: searchDeadline, clock: clock)
        let improveUntil = exactRun.map { $0.parallel ? searchDeadline : clock.now.advanced(by: clock.now.duration(to: searchDeadline) * 0.4) }
            ?? searchDeadline
        let maxIterations = options.maxIterations ?? .max
        var lastReport = clock.now
        // A search that has stopped improving hands its thread to a second CBC (parallel mode).
        let stagnation = exactRun?.parallel == true && options.maxIterations == nil && options.stagnantSearchShare > 0
            ? clock.now.duration(to: searchDeadline) * options.stagnantSearchShare : nil
        var improvedAt = (iteration: 0, time: clock.now)
        var stagnated = false
        let fraction = { (iterations: Int) -> Double in
            let byTime = seconds(searchStart.duration(to: clock.now)) / budget
            let byCount = options.maxIterations.map { Double(iterations) / Double(max(1, $0)) } ?? 0
            return min(1, max(byTime, byCount))
        }
        let target = bound.map { Score(hard: 0, unserved: $0.unserved, cost: $0.cost) }
        search.improve(maxIterations: maxIterations, target: target, fraction: fraction) { iterations, lastImproved in
            let now = clock.now
            if let progress, lastReport.duration(to: now) > .milliseconds(100) {
                lastReport = now
                progress(0.05 + 0.9 * fraction(iterations))
            }
            if lastImproved != improvedAt.iteration { improvedAt = (lastImproved, now) }
            if let stagnation, improvedAt.time.duration(to: now) >= stagnation, exactRun?.isRunning == true {
                stagnated = true
                return true
            }
            // (A search ended by count does not stop for CBC: the plan must not depend on timing.)
            return now >= improveUntil || (options.maxIterations == nil && exactRun?.isProven == true)
        }
        let exact = exactRun?.finish(search: search, bound: bound, until: searchDeadline, clock: clock, secondLeg: stagnated)
        if let b = exact?.bound, bound.map({ (b.unserved, b.cost) > ($0.unserved, $0.cost) }) ?? true {
            bound = b
            boundMethod = .mip
        }
        // The final polish gets its slice even if construction ran late.
        let finishDeadline = clock.now.advanced(by: finishShare)
        search.finish(shouldStop: { clock.now >= finishDeadline })
        let searchSeconds = seconds(searchStart.duration(to: clock.now))
        if options.computeBound && flowBound == nil {
            // The flow bound was too large (or cut short): the Lagrangian bound is far cheaper,
            // weaker mostly where capacity is contended. Computed after the search, which on
            // such sizes needs every moment for construction, in a slice of the time limit.
            let lagrangianStart = clock.now
            let lagrangianDeadline = lagrangianStart.advanced(by: lagrangianShare)
            if let lagrangian = Scheduling.lagrangianBound(index, shouldStop: { clock.now >= lagrangianDeadline }),
               bound.map({ (lagrangian.unserved, lagrangian.cost) > ($0.unserved, $0.cost) }) ?? true {
                bound = lagrangian
                boundMethod = .lagrangian
            }
            boundSeconds += seconds(lagrangianStart.duration(to: clock.now))
        }

        var plan = search.state.plan()
        var after = verify(problem, plan: plan, start: problem.allocations)
        if let exactPlan = exact?.plan {
            let checked = verify(problem, plan: exactPlan, start: problem.allocations)
            if checked.isValid && (!after.isValid || checked.score < after.score) { plan = exactPlan; after = checked }
        }
        var fellBack = false
        if !after.isValid || before.score < after.score {
            fellBack = true
            plan = canonical(problem.allocations)
            after = before
        }
        progress?(1)
        return SolveResult(capability: problem.capability, plan: plan, scoreBefore: before.score, scoreAfter: after.score,
                           violations: after.violations, bound: bound, boundMethod: boundMethod,
                           changes: diff(from: problem.allocations, to: plan), fellBack: fellBack,
                           iterations: search.iterations, boundSeconds: boundSeconds, searchSeconds: searchSeconds,
                           exactSeconds: exact?.seconds ?? 0, exactNodes: exact?.nodes ?? 0, exactFailure: exact?.failure)
    }

    /// Solves every capability's subproblem, `options.workers` at a time, on Dispatch threads
    /// (not the cooperative pool, which these long CPU-bound jobs would block). Each problem
    /// gets the full `timeLimit` if they all fit in one wave; otherwise the budget is shared so
    /// that the whole call still ends within about `timeLimit`. Results are in input order.
    ///
    /// `progress` receives the mean progress over all problems.
    public static func solveAll(_ problems: [Problem], options: SolverOptions = SolverOptions(),
                                progress: (@Sendable (Double) -> Void)? = nil) async -> [SolveResult] {
        await withCheckedContinuation { continuation in
            solveAll(problems, options: options, progress: progress) { continuation.resume(returning: $0) }
        }
    }

    /// Callback form of ``Scheduling/solveAll(_:options:progress:)`` (for callers outside Swift
    /// concurrency); `completion` runs on a Dispatch thread. `solved`, if given, receives each
    /// problem's result (with its position in `problems`) as soon as it is ready, so that a
    /// caller can write it while the others are still being solved.
    public static func solveAll(_ problems: [Problem], options: SolverOptions, progress: (@Sendable (Double) -> Void)?,
                                solved: (@Sendable (Int, SolveResult) -> Void)? = nil,
                                completion: @escaping @Sendable ([SolveResult]) -> Void) {
        let box = ResultBox(count: problems.count)
        guard !problems.isEmpty else { return completion([]) }
        let waves = (problems.count + options.workers - 1) / options.workers
        var perProblem = options
        // Threads of each solve: spare workers go to the exact step (see ExactRun).
        perProblem.workers = max(1, options.workers / problems.count)
        if waves > 1 {
            // Several waves share the wall-clock budget.
            perProblem.timeLimit = options.timeLimit / waves
            perProblem.boundTimeLimit = options.boundTimeLimit / waves
        }
        let shared = perProblem
        let group = DispatchGroup()
        let gate = DispatchSemaphore(value: options.workers)
        let queue = DispatchQueue.global(qos: .userInitiated)
        // Largest first, so the long ones do not end up in the last wave.
        let order = problems.indices.sorted { (problems[$0].orders.count, $1) > (problems[$1].orders.count, $0) }
        for _ in order { group.enter() }
        // One feeder thread waits for a free worker before starting each job.
        DispatchQueue(label: "weft.solver.feeder").async {
            for i in order {
                gate.wait()
                queue.async {
                    let result = solve(problems[i], options: shared) { p in
                        if let progress { progress(box.report(i, p)) }
                    }
                    box.store(i, result)
                    solved?(i, result)
                    if let progress { progress(box.report(i, 1)) }
                    gate.signal()
                    group.leave()
                }
            }
        }
        group.notify(queue: queue) { completion(box.results()) }
    }

    static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

/// Results and progress of parallel solves, guarded by a serial queue.
private final class ResultBox: @unchecked Sendable {
    private let queue = DispatchQueue(label: "weft.solver.results")
    private var slots: [Scheduling.SolveResult?]
    private var fractions: [Double]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
        fractions = Array(repeating: 0, count: count)
    }

    func store(_ i: Int, _ result: Scheduling.SolveResult) { queue.sync { slots[i] = result } }

    func report(_ i: Int, _ fraction: Double) -> Double {
        queue.sync {
            fractions[i] = fraction
            return fractions.reduce(0, +) / Double(max(1, fractions.count))
        }
    }

    func results() -> [Scheduling.SolveResult] { queue.sync { slots.map { $0! } } }
}
