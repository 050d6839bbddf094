extension Scheduling {
    /// What the exact solver found for one capability.
    struct ExactOutcome: Sendable {
        /// The best integer plan CBC found (pinned allocations included), unverified; nil if none.
        var plan: [Allocation]?
        /// A proven lower bound; nil when not even stage 1 produced one.
        var bound: Bound?
        /// Whether both stages were solved to proven optimality (the plan then meets `bound`).
        var proven: Bool
        var seconds: Double
        /// Branch-and-bound nodes of both stages.
        var nodes: Int
        /// Why a solve of the MIP solver produced nothing, if one failed.
        var failure: String? = nil
    }

    /// Solves `model` lexicographically with `solver` (CBC in the server) within `timeLimit`: stage 1 the least
    /// unserved (skipped when `incumbent` already meets `unservedBound`, which then proves it),
    /// stage 2 the least cost with unserved held there. `incumbent` (a valid plan) seeds both
    /// stages as a MIP start.
    ///
    /// **Bounds from CBC.** When CBC proves a stage optimal, that stage's bound is its objective
    /// (all objective coefficients are integers, so CBC prunes to whole units); otherwise its
    /// best possible objective, rounded up after subtracting a relative tolerance of 1e-9 (CBC
    /// works in floating point). A stage-1 bound without stage 2 carries only the pinned cost.
    static func exactSolve(_ index: ProblemIndex, model: ExactModel, incumbent: (plan: [Allocation], score: Score)?,
                           unservedBound: Int64?, timeLimit: Duration, solver: any MIPSolver, nodeLimit: Int? = nil) -> ExactOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: timeLimit)
        func left() -> Double { max(0, seconds(clock.now.duration(to: deadline))) }
        var outcome = ExactOutcome(plan: nil, bound: nil, proven: false, seconds: 0, nodes: 0)
        func done() -> ExactOutcome {
            outcome.seconds = seconds(start.duration(to: clock.now))
            return outcome
        }
        let startValues = incumbent.flatMap { model.values(of: $0.plan, index: index) }
        if model.xCount == 0 {
            // Nothing movable: the pinned plan is the only one (valid if no floor asks for more).
            outcome.plan = index.pinned
            if (0..<model.rowCount).allSatisfy({ model.rowLower[$0] <= 0 && model.rowUpper[$0] >= 0 || model.rowStart[$0] != model.rowStart[$0 + 1] }) {
                outcome.bound = Bound(unserved: model.baseUnserved, cost: model.baseCost)
                outcome.proven = true
            }
            return done()
        }

        // Stage 1: most priority-weighted units served.
        var servedTarget: Int64
        var stageOneValues: [Double]? = nil
        var stageOneCost = Int64.max
        if let incumbent, let unservedBound, incumbent.score.hard == 0, incumbent.score.unserved == unservedBound {
            servedTarget = model.baseUnserved - unservedBound
        } else {
            var weights = [Double](repeating: 0, count: model.columns.count)
            for i in 0..<model.xCount { weights[model.xColumn[i]] = -Double(model.priority[model.xOrder[i]]) }
            let r = runMIP(model, solver: solver, objective: weights, extraRow: nil, start: startValues, seconds: left() * 0.5,
                           nodes: nodeLimit, costStage: false)
            outcome.nodes += r.nodes
            outcome.failure = r.failure
            if let values = r.values {
                stageOneValues = values
                outcome.plan = model.plan(from: values, index: index)
            }
            guard let best = r.bestBound else { return done() }
            // Σ priority·x ≤ −best, so unserved ≥ U₀ + best.
            let lowest = r.proven && r.values != nil ? r.objective! : best
            let unservedLow = model.baseUnserved + ceilInteger(lowest, proven: r.proven && r.values != nil)
            outcome.bound = Bound(unserved: unservedLow, cost: model.baseCost)
            // Stage 1 is settled when CBC proved it, or when a plan in hand meets its bound.
            let planScore = outcome.plan.map { score(index.problem, plan: $0) }
            let met = [incumbent?.score, planScore].contains {
                $0.map { $0.hard == 0 && $0.unserved == unservedLow } ?? false
            }
            guard (r.proven && r.values != nil) || met else { return done() }
            servedTarget = model.baseUnserved - unservedLow
            if let planScore, planScore.hard == 0, planScore.unserved == unservedLow { stageOneCost = planScore.cost }
        }

        // Stage 2: least cost with Σ priority·x ≥ the stage-1 optimum.
        var weights = [Double](repeating: 0, count: model.columns.count)
        var row: [(Int, Double)] = []
        for i in 0..<model.xCount { row.append((model.xColumn[i], Double(model.priority[model.xOrder[i]]))) }
        for (i, c) in model.columns.enumerated() { weights[i] = c.cost }
        // Stage 2 starts from stage 1's plan, or from the incumbent when that serves as much
        // and costs less (stage 1 looks at units only, so its plan can be far dearer).
        var seed = stageOneValues ?? startValues
        if let incumbent, startValues != nil, incumbent.score.hard == 0,
           incumbent.score.unserved == model.baseUnserved - servedTarget, incumbent.score.cost < stageOneCost {
            seed = startValues
        }
        let r = runMIP(model, solver: solver, objective: weights, extraRow: (row, Double(servedTarget)), start: seed, seconds: left(),
                       nodes: nodeLimit, costStage: true)
        outcome.nodes += r.nodes
        outcome.failure = outcome.failure ?? r.failure
        if let values = r.values { outcome.plan = model.plan(from: values, index: index) }
        let unserved = model.baseUnserved - servedTarget
        if let best = r.bestBound {
            let exact = r.proven && r.values != nil
            outcome.bound = Bound(unserved: unserved, cost: model.baseCost + ceilInteger(exact ? r.objective! : best, proven: exact))
            outcome.proven = exact
        } else {
            outcome.bound = Bound(unserved: unserved, cost: model.baseCost)
        }
        return done()
    }

    /// ⌈v⌉ of a bound from CBC: the objective itself when proven, else with a 1e-9 relative
    /// tolerance taken off first.
    static func ceilInteger(_ v: Double, proven: Bool) -> Int64 {
        if proven { return Int64(v.rounded()) }
        let slack = 1e-9 * max(1, abs(v)) + 1e-6
        return Int64((v - slack).rounded(.up))
    }

    /// One solve of `model` with the given objective (minimised), optionally one more row
    /// `Σ entries ≥ lower`, a MIP start and a time limit, by `solver`; `costStage`: stage 2
    /// (see ``ExactModel/solverParameters(costStage:)``).
    static func runMIP(_ model: ExactModel, solver: any MIPSolver, objective: [Double], extraRow: ([(Int, Double)], Double)?,
                       start: [Double]?, seconds limit: Double, nodes: Int? = nil, costStage: Bool) -> MIPResult {
        guard limit > 0.01 else { return .nothing }
        var problem = model.mipProblem(objective: objective, extraRow: extraRow, start: start, seconds: limit, nodes: nodes)
        problem.parameters = model.solverParameters(costStage: costStage)
        return solver.solve(problem)
    }
}

extension ExactModel {
    /// The model as a ``Scheduling/MIPProblem`` (rows to columns), with `objective`, one more
    /// row `Σ entries ≥ lower` if given, a start and limits.
    func mipProblem(objective: [Double], extraRow: ([(Int, Double)], Double)?, start: [Double]?, seconds: Double,
                    nodes: Int?) -> Scheduling.MIPProblem {
        let n = columns.count
        var rowLower = self.rowLower, rowUpper = self.rowUpper
        var entries: [(row: Int, col: Int, value: Double)] = []
        entries.reserveCapacity(rowIndex.count + (extraRow?.0.count ?? 0))
        for r in 0..<rowCount {
            for k in rowStart[r]..<rowStart[r + 1] { entries.append((r, Int(rowIndex[k]), rowValue[k])) }
        }
        if let (row, lower) = extraRow {
            let r = rowLower.count
            for (c, v) in row { entries.append((r, c, v)) }
            rowLower.append(lower)
            rowUpper.append(ExactModel.infinity)
        }
        var counts = [Int](repeating: 0, count: n + 1)
        for e in entries { counts[e.col + 1] += 1 }
        for c in 0..<n { counts[c + 1] += counts[c] }
        var next = counts
        var index = [Int32](repeating: 0, count: entries.count)
        var value = [Double](repeating: 0, count: entries.count)
        for e in entries {
            index[next[e.col]] = Int32(e.row)
            value[next[e.col]] = e.value
            next[e.col] += 1
        }
        let infinity = ExactModel.infinity, mipInfinity = Scheduling.MIPProblem.infinity
        func clamp(_ v: Double) -> Double { v == infinity ? mipInfinity : v == -infinity ? -mipInfinity : v }
        return Scheduling.MIPProblem(columnStart: counts, rowIndex: index, value: value,
                                     lower: columns.map { clamp($0.lower) }, upper: columns.map { clamp($0.upper) },
                                     objective: objective, integer: columns.map(\.integer),
                                     rowLower: rowLower.map(clamp), rowUpper: rowUpper.map(clamp), start: start.flatMap { $0.count == n ? $0 : nil },
                                     seconds: seconds, nodeLimit: nodes)
    }

    /// CBC settings for one stage of this model, after the solver's own (so they win): no
    /// cutting planes in stage 2 (least cost) unless the model has batch columns. Stage 1 (most
    /// units served) keeps them: with them the sweep's stage-1 MIPs were proven in 0–4 nodes,
    /// without them in up to 58. In stage 2 without batches the linking rows already make the
    /// LP relaxation close (CBC's cuts moved its bound by 0.01–0.6 % on the sweep's MIPs) and
    /// the cut loop took most of a loaded 2 s solve: with the same 0.5 s of CPU, `cuts=off`
    /// found a better plan than `passCuts=5` on 9 of the 11 such MIPs that neither proved (the
    /// same on 1, 0.4 % worse on 1), proved s27, and proved every one `passCuts=5` proved. With
    /// batches (big-M rows) the cuts are what the bound is made of (without them 4–41 % weaker
    /// on the pooled shapes, and s11 unproven): those keep the solver's `passCuts=5`. See
    /// benchmarks/README.md, "Small instances".
    func solverParameters(costStage: Bool) -> [String] { costStage && batchColumn.isEmpty ? ["cuts=off"] : [] }
}
