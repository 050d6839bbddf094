extension Scheduling {
    /// One mixed-integer program for an external solver: minimise `objective · x` subject to
    /// `rowLower ≤ A x ≤ rowUpper`, `lower ≤ x ≤ upper`, `x[c]` whole where `integer[c]`.
    /// `A` is stored by columns: column c has entries `columnStart[c] ..< columnStart[c + 1]`
    /// of `rowIndex` / `value`. Infinite limits are ±`MIPProblem.infinity`.
    ///
    /// The exact step (``Scheduling/exactSolve(_:model:incumbent:unservedBound:timeLimit:solver:nodeLimit:)``)
    /// builds these from ``ExactModel`` and hands them to a ``MIPSolver``; WeftCore itself never
    /// runs one (it does no IO, and a crash in a C solver must not take the server down).
    public struct MIPProblem: Sendable, Equatable {
        public var columnStart: [Int]
        public var rowIndex: [Int32]
        public var value: [Double]
        public var lower: [Double]
        public var upper: [Double]
        public var objective: [Double]
        public var integer: [Bool]
        public var rowLower: [Double]
        public var rowUpper: [Double]
        /// A feasible solution to start from (one value per column), if any.
        public var start: [Double]?
        /// Wall-clock seconds the solver may use.
        public var seconds: Double
        /// Branch-and-bound node limit (0: the root only); nil: none.
        public var nodeLimit: Int?
        /// Solver-specific settings, `name=value` each (for CBC: its command-line parameters,
        /// e.g. `cuts=off`); a solver ignores the ones it does not know.
        public var parameters: [String] = []

        public static let infinity = 1e30
        public var columnCount: Int { lower.count }
        public var rowCount: Int { rowLower.count }

        public init(columnStart: [Int], rowIndex: [Int32], value: [Double], lower: [Double], upper: [Double],
                    objective: [Double], integer: [Bool], rowLower: [Double], rowUpper: [Double], start: [Double]?,
                    seconds: Double, nodeLimit: Int?) {
            self.columnStart = columnStart
            self.rowIndex = rowIndex
            self.value = value
            self.lower = lower
            self.upper = upper
            self.objective = objective
            self.integer = integer
            self.rowLower = rowLower
            self.rowUpper = rowUpper
            self.start = start
            self.seconds = seconds
            self.nodeLimit = nodeLimit
        }

        /// Whether the arrays agree in size and every index is in range (a decoded problem is
        /// checked before a solver sees it).
        public var isWellFormed: Bool {
            let n = lower.count, m = rowLower.count
            guard upper.count == n, objective.count == n, integer.count == n, rowUpper.count == m,
                  columnStart.count == n + 1, columnStart.first == 0, columnStart.last == rowIndex.count,
                  value.count == rowIndex.count, start.map({ $0.count == n }) ?? true,
                  seconds.isFinite, seconds >= 0, (nodeLimit ?? 0) >= 0,
                  lower.allSatisfy({ !$0.isNaN }), upper.allSatisfy({ !$0.isNaN }), objective.allSatisfy(\.isFinite) else { return false }
            for c in 0..<n where columnStart[c] > columnStart[c + 1] { return false }
            return rowIndex.allSatisfy { $0 >= 0 && Int($0) < m }
        }
    }

    /// What a ``MIPSolver`` found.
    public struct MIPResult: Sendable, Equatable {
        /// The best integer solution found, one value per column; nil if none.
        public var values: [Double]?
        /// Its objective value.
        public var objective: Double?
        /// The best possible objective (a lower bound on every integer solution); nil when the
        /// solver proved none or found the problem infeasible.
        public var bestBound: Double?
        /// Whether `values` is proven optimal.
        public var proven: Bool
        /// Branch-and-bound nodes.
        public var nodes: Int
        /// Why the solver produced nothing (it crashed, was killed, ...), for the logs; not part
        /// of the wire format.
        public var failure: String? = nil

        public init(values: [Double]?, objective: Double?, bestBound: Double?, proven: Bool, nodes: Int) {
            self.values = values
            self.objective = objective
            self.bestBound = bestBound
            self.proven = proven
            self.nodes = nodes
        }

        public static let nothing = MIPResult(values: nil, objective: nil, bestBound: nil, proven: false, nodes: 0)
    }
}

/// Solves ``Scheduling/MIPProblem``s for the exact step. WeftCore defines it and never
/// implements it; the server's implementation runs CBC in a child process (target WeftMIP),
/// so that a crash inside the solver costs only that solve.
///
/// `solve` is called from the solver's threads, possibly several at once, and must return
/// within about `problem.seconds` (give or take a short grace), whatever happens to the solver:
/// a solver that crashed, hung or answered garbage returns ``Scheduling/MIPResult/nothing``
/// (the run then keeps its heuristic plan and its other bounds).
public protocol MIPSolver: Sendable {
    func solve(_ problem: Scheduling.MIPProblem) -> Scheduling.MIPResult
}
