/// One capability's subproblem as a mixed-integer program, for the exact solver
/// (``Scheduling/exactSolve(_:index:incumbent:timeLimit:)``) and its bounds.
///
/// **Variables.** `x[o,s]` (integer): units of order o in eligible slot s, for every candidate
/// slot with free units (capacity net of pinned units). `y[o,f]` (binary): order o uses factory
/// f; fixed to 1 where o has pinned units at f (the factory stays used, its setup is sunk in the
/// constant). `n[s,g]` (integer): batches that pool group g adds in slot s of a factory with a
/// batch cost (see ``Scheduling/addedBatchCost(inside:outside:factory:)``).
///
/// **Rows.** Slot capacity `Σ_o x[o,s] ≤ free(s)`. Order quantity and stability floor
/// `floor(o) − pinned(o) ≤ Σ_s x[o,s] ≤ quantity(o) − pinned(o)`. Linking, per slot
/// `x[o,s] ≤ min(free(s), rest(o)) · y[o,f]` and per factory `Σ_s x[o,s] ≤ min(room, rest) · y`.
/// Minimum lot `Σ_s x[o,s] + pinned(o,f) ≥ min_lot · y[o,f]`. Split limit `Σ_f y[o,f] ≤
/// max_factories`. Batches `Σ_{o∈g} x[o,s] ≤ B · n[s,g] + (B·⌈h/B⌉ − h)` where h is what the group
/// already holds there (pinned and outside units), B the batch size (a big M and a binary n
/// when batches are unlimited and nothing is there yet).
///
/// Every valid plan is a solution (pinned allocations held fixed) and every integer solution is
/// a valid plan whose score is `(U₀ − Σ priority·x, C₀ + Σ unit cost·x + Σ setup·y + Σ
/// batch cost·n)`, U₀ and C₀ being the pinned plan's unserved and cost. The lexicographic score
/// is minimised in two stages: unserved first, then cost with unserved held at its optimum.
struct ExactModel {
    struct Column { var lower: Double; var upper: Double; var cost: Double; var integer: Bool }
    var columns: [Column] = []
    /// Rows in compressed form: row r has entries `rowStart[r] ..< rowStart[r + 1]`.
    var rowStart: [Int] = [0]
    var rowIndex: [Int32] = []
    var rowValue: [Double] = []
    var rowLower: [Double] = []
    var rowUpper: [Double] = []
    /// The x variables: x number `i` is column `xColumn[i]`, units of order `xOrder[i]` in slot
    /// `xSlot[i]`.
    var xColumn: [Int] = []
    var xOrder: [Int] = []
    var xSlot: [Int] = []
    var xCount: Int { xOrder.count }
    /// The y column of each (order, factory) pair, and the n column of each (slot, group).
    var yColumn: [PairKey: Int] = [:]
    var batchColumn: [SlotGroupKey: Int] = [:]
    var batchTerms: [BatchTerm] = []
    /// Unserved and cost of the pinned allocations alone (the constants U₀, C₀).
    var baseUnserved: Int64 = 0
    var baseCost: Int64 = 0
    /// Per order: its priority (the stage-1 weight of its x columns).
    var priority: [Int] = []

    struct PairKey: Hashable { var order: Int; var factory: Int }
    struct SlotGroupKey: Hashable { var slot: Int; var group: Int }

    var rowCount: Int { rowLower.count }
    static let infinity = Double.greatestFiniteMagnitude

    @discardableResult
    mutating func addColumn(lower: Double, upper: Double, cost: Double, integer: Bool) -> Int {
        columns.append(Column(lower: lower, upper: upper, cost: cost, integer: integer))
        return columns.count - 1
    }

    mutating func addRow(_ entries: [(Int, Double)], lower: Double, upper: Double) {
        for (c, v) in entries where v != 0 {
            rowIndex.append(Int32(c))
            rowValue.append(v)
        }
        rowStart.append(rowIndex.count)
        rowLower.append(lower)
        rowUpper.append(upper)
    }

    /// Builds the model; nil when it would have more than `columnLimit` columns.
    init?(_ index: ProblemIndex, columnLimit: Int) {
        let problem = index.problem
        let orders = problem.orders, slots = problem.slots
        guard ExactModel.columnEstimate(index) <= columnLimit else { return nil }

        let pinnedScore = Scheduling.score(problem, plan: index.pinned)
        baseUnserved = pinnedScore.unserved
        baseCost = pinnedScore.cost
        priority = orders.map(\.priority)
        var slotEntries = [[(Int, Double)]](repeating: [], count: slots.count)
        var xOfSlotByOrder = [[(order: Int, column: Int)]](repeating: [], count: slots.count)

        for o in orders.indices {
            let order = orders[o]
            let rest = max(0, order.quantity - index.pinnedByOrder[o])
            let floorMovable = max(0, index.floor[o] - index.pinnedByOrder[o])
            var orderEntries: [(Int, Double)] = []
            var splitEntries: [(Int, Double)] = []
            for p in index.pairs(o) {
                let f = Int(index.pairFactory[p])
                let existing = index.pairExisting[p]
                var usable: [Int] = []
                if rest > 0 { index.forEachSegment(o, pair: p) { s in if index.capacity[s] > 0 { usable.append(s) } } }
                usable.sort()
                let room = usable.reduce(0) { $0 + index.capacity[$1] }
                if room == 0 && existing == 0 { continue }
                let fixed = existing > 0
                let y = addColumn(lower: fixed ? 1 : 0, upper: 1, cost: fixed ? 0 : Double(index.factorySetup[f]), integer: true)
                yColumn[PairKey(order: o, factory: f)] = y
                splitEntries.append((y, 1))
                var factoryEntries: [(Int, Double)] = []
                for s in usable {
                    let upper = min(index.capacity[s], rest)
                    let x = addColumn(lower: 0, upper: Double(upper), cost: Double(slots[s].unitCost), integer: true)
                    xColumn.append(x)
                    xOrder.append(o)
                    xSlot.append(s)
                    factoryEntries.append((x, 1))
                    slotEntries[s].append((x, 1))
                    xOfSlotByOrder[s].append((o, x))
                    if !fixed { addRow([(x, 1), (y, -Double(upper))], lower: -ExactModel.infinity, upper: 0) }
                }
                orderEntries += factoryEntries
                if !fixed && !factoryEntries.isEmpty && room > rest {
                    addRow(factoryEntries + [(y, -Double(min(room, rest)))], lower: -ExactModel.infinity, upper: 0)
                }
                // Minimum lot: Σx + existing ≥ minLot · y.
                if order.minLot > existing {
                    if fixed {
                        addRow(factoryEntries, lower: Double(order.minLot - existing), upper: ExactModel.infinity)
                    } else {
                        addRow(factoryEntries + [(y, -Double(order.minLot))], lower: 0, upper: ExactModel.infinity)
                    }
                }
            }
            if !orderEntries.isEmpty {
                addRow(orderEntries, lower: Double(floorMovable), upper: Double(rest))
            }
            if splitEntries.count > order.maxFactories {
                addRow(splitEntries, lower: -ExactModel.infinity, upper: Double(order.maxFactories))
            }
        }
        for s in slots.indices where !slotEntries[s].isEmpty {
            addRow(slotEntries[s], lower: -ExactModel.infinity, upper: Double(index.capacity[s]))
        }
        addBatchRows(index, xOfSlotByOrder: xOfSlotByOrder)
    }

    /// At least the number of x and y columns (a slot without free units has none): a cheap
    /// size check before building.
    static func columnEstimate(_ index: ProblemIndex) -> Int {
        var estimate = 0
        for o in index.problem.orders.indices { estimate += index.segmentCount[o] + index.pairs(o).count }
        return estimate
    }

    /// The column values of `plan` (pinned allocations ignored), for a MIP start; nil when the
    /// plan uses a (order, slot) the model has no column for.
    func values(of plan: [Scheduling.Allocation], index: ProblemIndex) -> [Double]? {
        var column: [Int: Int] = [:]   // order << 32 | slot → x number
        for i in 0..<xCount { column[xOrder[i] << 32 | xSlot[i]] = i }
        var v = [Double](repeating: 0, count: columns.count)
        for (i, c) in columns.enumerated() { v[i] = c.lower }
        var units = [Int](repeating: 0, count: xCount)
        for a in plan where !a.pinned {
            guard let x = column[a.order << 32 | a.slot] else { return nil }
            units[x] += a.units
        }
        for i in 0..<xCount where units[i] > 0 {
            v[xColumn[i]] = Double(units[i])
            let f = index.problem.slots[xSlot[i]].factory
            if let y = yColumn[PairKey(order: xOrder[i], factory: f)] { v[y] = 1 }
        }
        fillBatchValues(&v, index: index)
        return v
    }

    /// The plan of a solution: the pinned allocations plus one allocation per positive x.
    func plan(from solution: [Double], index: ProblemIndex) -> [Scheduling.Allocation] {
        var result = index.pinned
        for i in 0..<xCount {
            let units = Int(solution[xColumn[i]].rounded())
            if units > 0 { result.append(Scheduling.Allocation(order: xOrder[i], slot: xSlot[i], units: units)) }
        }
        return Scheduling.canonical(result)
    }
}
