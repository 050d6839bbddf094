import Testing
@testable import WeftCore
import WeftMIP

/// The exact step's two legs: stage 2 seeded with the cheaper of stage 1's plan and the
/// incumbent, and two solves of one model combined (``Scheduling/ExactOutcome/merged(with:problem:)``,
/// the second CBC that a stagnant search starts, ``Scheduling/SolverOptions/stagnantSearchShare``).
@Suite("Exact solver: seeds and merged solves")
struct ExactLegsTests {
    @Test("seeded with a valid plan, and merged with a root-only solve, the exact step finds and proves the exhaustive optimum; no bound exceeds it")
    func seededAndMerged() throws {
        let worker = try realWorker()
        var rng = Scheduling.SeededRandom(seed: 313)
        var checked = 0
        for caseIndex in 0..<30 {
            let p = tinyProblem(&rng, pooled: caseIndex % 2 == 1, start: caseIndex % 3 == 2)
            guard let optimum = oracle(p) else { continue }
            let index = ProblemIndex(p)
            let model = ExactModel(index, columnLimit: 10_000)!
            let greedy = Scheduling.naiveGreedy(p)
            let greedyCheck = Scheduling.verify(p, plan: greedy, start: p.allocations)
            let incumbent = greedyCheck.isValid ? (greedy, greedyCheck.score) : nil
            let full = Scheduling.exactSolve(index, model: model, incumbent: incumbent, unservedBound: nil, timeLimit: .seconds(30), solver: worker)
            let root = Scheduling.exactSolve(index, model: model, incumbent: nil, unservedBound: nil, timeLimit: .seconds(30), solver: worker, nodeLimit: 0)
            for merged in [full.merged(with: root, problem: p), root.merged(with: full, problem: p)] {
                let bound = try #require(merged.bound, "case \(caseIndex)")
                let plan = try #require(merged.plan, "case \(caseIndex)")
                #expect(bound.isBelowOrEqual(optimum), "case \(caseIndex): bound \(bound) above the optimum \(optimum)")
                let verified = Scheduling.verify(p, plan: plan, start: p.allocations)
                #expect(verified.isValid, "case \(caseIndex): \(verified.violations)")
                #expect(verified.score == optimum, "case \(caseIndex): merged \(verified.score) vs optimum \(optimum)")
                #expect(merged.proven && bound.isMet(by: verified.score), "case \(caseIndex)")
            }
            if let b = root.bound { #expect(b.isBelowOrEqual(optimum), "case \(caseIndex): root bound \(b)") }
            checked += 1
        }
        #expect(checked >= 20)
    }

    @Test("a search that stagnates hands its thread to a second CBC: the plan stays valid and above the bound", arguments: [1, 2])
    func stagnantSearch(seed: UInt64) throws {
        let worker = try realWorker()
        let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: .mixed, orders: 25, factories: 5, days: 5, seed: seed))
        var options = Scheduling.SolverOptions(timeLimit: .seconds(1), seed: seed, workers: 2)
        options.mipSolver = worker
        options.stagnantSearchShare = 0.05
        let result = Scheduling.solve(p, options: options)
        #expect(result.violations.isEmpty && !result.fellBack)
        let bound = try #require(result.bound)
        #expect(bound.isBelowOrEqual(result.scoreAfter), "bound \(bound) above the plan's \(result.scoreAfter)")
        #expect(result.optimal == bound.isMet(by: result.scoreAfter))
    }
}
