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
/// mixed-integer model is small enough (``Scheduling/SolverOptions/exactColumnLimit``).
///
/// With two or more threads for the solve (`options.workers`), CBC starts right after
/// construction on a thread of its own, seeded with the constructed plan, and runs until the
/// search's deadline while the search goes on; the search stops early once CBC has proved
/// optimality. With one thread, the search runs first (40 % of its time) and CBC gets the rest,
/// seeded with the search's best plan. Either way CBC's plan is a candidate that the caller
/// verifies, and its bound is kept when lexicographically larger (both are valid, so the
/// larger is too).
final class ExactRun: @unchecked Sendable {
    let index: ProblemIndex
    let model: ExactModel
    let parallel: Bool
    private let lock = Mutex<(outcome: Scheduling.ExactOutcome?, proven: Bool)>((nil, false))
    private let done = DispatchSemaphore(value: 0)
    private var started = false

    init?(_ index: ProblemIndex, options: Scheduling.SolverOptions) {
        guard options.exactColumnLimit > 0, !index.problem.orders.isEmpty,
              let model = ExactModel(index, columnLimit: options.exactColumnLimit) else { return nil }
        self.index = index
        self.model = model
        parallel = options.workers >= 2
    }

    var isProven: Bool { lock.withLock { $0.proven } }

    /// In parallel mode, starts CBC now on another thread, until `deadline`.
    func startParallel(incumbent: [Scheduling.Allocation], unservedBound: Int64?, until deadline: ContinuousClock.Instant,
                       clock: ContinuousClock) {
        guard parallel else { return }
        let limit = clock.now.duration(to: deadline)
        guard limit > .milliseconds(20) else { return }
        started = true
        let score = Scheduling.verify(index.problem, plan: incumbent, start: index.problem.allocations).score
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let outcome = Scheduling.exactSolve(index, model: model, incumbent: (incumbent, score),
                                                unservedBound: unservedBound, timeLimit: limit)
            lock.withLock { $0 = (outcome, outcome.proven) }
            done.signal()
        }
    }

    /// The outcome: in parallel mode waits for CBC (it keeps to the same deadline); in
    /// sequential mode runs CBC now, seeded with the search's best plan, until `deadline`.
    func finish(search: Search, bound: Scheduling.Bound?, until deadline: ContinuousClock.Instant,
                clock: ContinuousClock) -> Scheduling.ExactOutcome? {
        let unservedBound = bound?.unserved
        if parallel {
            guard started else { return nil }
            done.wait()
            return lock.withLock { $0.outcome }
        }
        let limit = clock.now.duration(to: deadline)
        guard limit > .milliseconds(20) else { return nil }
        // The search may have met the bound already: nothing left to prove.
        if let bound, search.bestScore <= Scheduling.Score(hard: 0, unserved: bound.unserved, cost: bound.cost) { return nil }
        var plan = index.pinned
        for (o, list) in search.bestAlloc.enumerated() {
            for a in list { plan.append(Scheduling.Allocation(order: o, slot: a.slot, units: a.units)) }
        }
        plan = Scheduling.canonical(plan)
        let score = Scheduling.verify(index.problem, plan: plan, start: index.problem.allocations).score
        return Scheduling.exactSolve(index, model: model, incumbent: (plan, score), unservedBound: unservedBound, timeLimit: limit)
    }
}
