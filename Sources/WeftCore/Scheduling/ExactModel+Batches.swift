/// Batch-cost variables of the exact model (order pooling); see ``ExactModel``.
///
/// In a slot of a factory with a batch cost, pool group g's units make ⌈units / B⌉ batches
/// (one when B is unlimited). The units the group already holds there, h (pinned units of the
/// problem and outside units), are fixed, so their batches are in the constant C₀ (or sunk),
/// and their last batch has room `r = B·⌈h/B⌉ − h`. The column n[s,g] counts the batches the
/// movable units add: `Σ_{o∈g} x[o,s] ≤ B·n + r`, cost `batch_cost · n`. With B unlimited: no
/// column when h > 0 (the batch is open), otherwise a binary n with `Σ x ≤ free(s) · n`.
/// Minimising cost sets each n to exactly ⌈max(0, Σx − r)/B⌉, which is what the verifier's
/// ``Scheduling/addedBatchCost(inside:outside:factory:)`` charges on top of the fixed units.
extension ExactModel {
    struct BatchTerm {
        var column: Int
        /// Batch size B (nil: unlimited) and room r in the batches already open.
        var size: Int?
        var room: Int
        var xColumns: [Int]
    }

    /// Adds the n[s,g] columns and their rows.
    mutating func addBatchRows(_ index: ProblemIndex, xOfSlotByOrder: [[(order: Int, column: Int)]]) {
        let problem = index.problem
        guard problem.factories.contains(where: { $0.batchCost != 0 }) else { return }
        let groups = Scheduling.PoolGroups(problem.orders)
        var pinnedUnits: [SlotGroupKey: Int] = [:]
        for a in index.pinned { pinnedUnits[SlotGroupKey(slot: a.slot, group: groups.groupOfOrder[a.order]), default: 0] += a.units }
        for s in problem.slots.indices where !xOfSlotByOrder[s].isEmpty {
            let slot = problem.slots[s]
            let factory = problem.factories[slot.factory]
            guard factory.batchCost != 0 else { continue }
            var byGroup: [Int: [Int]] = [:]
            for (o, x) in xOfSlotByOrder[s] { byGroup[groups.groupOfOrder[o], default: []].append(x) }
            for g in byGroup.keys.sorted() {
                let xs = byGroup[g]!
                let held = groups.outsideUnits(group: g, slot: slot) + (pinnedUnits[SlotGroupKey(slot: s, group: g)] ?? 0)
                let entries = xs.map { ($0, 1.0) }
                if let size = factory.batchUnits.map({ max(1, $0) }) {
                    let room = (held + size - 1) / size * size - held
                    let most = (index.capacity[s] + size - 1) / size
                    let n = addColumn(lower: 0, upper: Double(most), cost: Double(factory.batchCost), integer: true)
                    addRow(entries + [(n, -Double(size))], lower: -ExactModel.infinity, upper: Double(room))
                    batchColumn[SlotGroupKey(slot: s, group: g)] = n
                    batchTerms.append(BatchTerm(column: n, size: size, room: room, xColumns: xs))
                } else if held == 0 {
                    let n = addColumn(lower: 0, upper: 1, cost: Double(factory.batchCost), integer: true)
                    addRow(entries + [(n, -Double(index.capacity[s]))], lower: -ExactModel.infinity, upper: 0)
                    batchColumn[SlotGroupKey(slot: s, group: g)] = n
                    batchTerms.append(BatchTerm(column: n, size: nil, room: 0, xColumns: xs))
                }
            }
        }
    }

    /// Sets the n columns of a MIP start to the batches its x values need.
    func fillBatchValues(_ values: inout [Double], index: ProblemIndex) {
        for term in batchTerms {
            let units = term.xColumns.reduce(0) { $0 + Int(values[$1].rounded()) }
            let over = max(0, units - term.room)
            if let size = term.size {
                values[term.column] = Double((over + size - 1) / size)
            } else {
                values[term.column] = units > 0 ? 1 : 0
            }
        }
    }
}
