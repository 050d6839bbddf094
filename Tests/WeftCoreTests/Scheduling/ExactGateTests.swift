import Testing
@testable import WeftCore

/// A MIP solver that must not be called.
private struct Unreachable: MIPSolver {
    func solve(_ problem: Scheduling.MIPProblem) -> Scheduling.MIPResult { .nothing }
}

@Suite("Which capabilities the exact step takes on")
struct ExactGateTests {
    @Test("the column limit shrinks with the time limit; no solver or a zero limit: never; the root-only mode is off by default")
    func gate() {
        let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: .mixed, orders: 60, factories: 30, days: 10, seed: 1))
        let index = ProblemIndex(p)
        let columns = ExactModel.columnEstimate(index)
        #expect(columns > 2_500 && columns < 25_000, "\(columns)")
        func run(seconds: Int, workers: Int = 2, _ change: (inout Scheduling.SolverOptions) -> Void = { _ in }) -> ExactRun? {
            var options = Scheduling.SolverOptions(timeLimit: .seconds(seconds), workers: workers)
            options.mipSolver = Unreachable()
            change(&options)
            return ExactRun(index, options: options)
        }
        #expect(run(seconds: 1) == nil)                       // 2,500 columns per second
        #expect(run(seconds: 10).map { !$0.rootOnly } == true)
        #expect(run(seconds: 10) { $0.mipSolver = nil } == nil)
        #expect(run(seconds: 10) { $0.exactColumnLimit = 0 } == nil)
        #expect(run(seconds: 1) { $0.exactColumnsPerSecond = 0 } != nil)
        // Root-only, when asked for, with a spare thread only.
        #expect(run(seconds: 1) { $0.rootBoundColumnLimit = 1_000_000 }.map(\.rootOnly) == true)
        #expect(run(seconds: 1, workers: 1) { $0.rootBoundColumnLimit = 1_000_000 } == nil)
    }

    @Test("CBC's cutting planes: off in the cost stage of models without batches, kept in stage 1 and wherever batches are")
    func cutsPerStage() throws {
        for (shape, batches) in [(Scheduling.InstanceShape.largeOrders, false), (.mixed, false), (.pooled, true), (.pcbSample, true)] {
            let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: shape, orders: 12, factories: 4, days: 4, seed: 3))
            let model = try #require(ExactModel(ProblemIndex(p), columnLimit: 100_000))
            #expect(!model.batchColumn.isEmpty == batches, "\(shape)")
            #expect(model.solverParameters(costStage: true) == (batches ? [] : ["cuts=off"]), "\(shape)")
            #expect(model.solverParameters(costStage: false) == [], "\(shape)")
        }
    }
}
