import CCbc
import WeftCore

/// One CBC solve of `problem` in this process (the worker's whole job).
func solveWithCBC(_ problem: Scheduling.MIPProblem) -> Scheduling.MIPResult {
    let n = problem.columnCount
    guard let m = Cbc_newModel() else { return .nothing }
    defer { Cbc_deleteModel(m) }
    let starts = problem.columnStart.map { CoinBigIndex($0) }
    Cbc_loadProblem(m, Int32(n), Int32(problem.rowCount), starts, problem.rowIndex, problem.value, problem.lower, problem.upper,
                    problem.objective, problem.rowLower, problem.rowUpper)
    for c in 0..<n where problem.integer[c] { Cbc_setInteger(m, Int32(c)) }
    Cbc_setLogLevel(m, 0)
    Cbc_setParameter(m, "timeMode", "elapsed")
    Cbc_setMaximumSeconds(m, problem.seconds)
    if let nodes = problem.nodeLimit { Cbc_setMaximumNodes(m, Int32(clamping: nodes)) }
    Cbc_setAllowableGap(m, 0.5)   // integer objective: a gap below one unit proves optimality
    Cbc_setAllowableFractionGap(m, 0)
    for parameter in problem.parameters {
        guard let eq = parameter.firstIndex(of: "=") else { continue }
        Cbc_setParameter(m, String(parameter[..<eq]), String(parameter[parameter.index(after: eq)...]))
    }
    if let start = problem.start {
        let cols = (0..<n).map { Int32($0) }
        Cbc_setMIPStartI(m, Int32(n), cols, start)
    }
    Cbc_solve(m)
    let nodes = Int(Cbc_getNodeCount(m))
    let proven = Cbc_isProvenOptimal(m) != 0
    let hasSolution = Cbc_numberSavedSolutions(m) > 0 || proven
    var values: [Double]? = nil
    var objective: Double? = nil
    if hasSolution, let solution = Cbc_getColSolution(m) {
        values = Array(UnsafeBufferPointer(start: solution, count: n))
        objective = Cbc_getObjValue(m)
    }
    let best = Cbc_getBestPossibleObjValue(m)
    let bestBound: Double? = Cbc_isProvenInfeasible(m) != 0 || !best.isFinite || abs(best) >= 1e29 ? nil : best
    guard values?.allSatisfy(\.isFinite) ?? true, objective?.isFinite ?? true else {
        return Scheduling.MIPResult(values: nil, objective: nil, bestBound: bestBound, proven: false, nodes: nodes)
    }
    return Scheduling.MIPResult(values: values, objective: objective, bestBound: bestBound, proven: proven && values != nil, nodes: nodes)
}
