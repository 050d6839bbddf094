import Testing
@testable import WeftCore

/// Large orders with batch costs: the cost curves are built over every unit of the order, and
/// their min-plus convolutions (quadratic in the units) give way to a weaker bound past a
/// budget. The answers must stay exact.
@Suite("Pooled placement of large orders")
struct PooledLargeOrderTests {
    @Test("thousands of units over factories of one slot with unlimited batches: the best factory set, exactly")
    func largeOrdersExact() {
        var rng = Scheduling.SeededRandom(seed: 30_000)
        var wide = 0
        for caseIndex in 0..<12 {
            let count = rng.int(in: 3...6)
            var factories: [Scheduling.PlacementFactory] = []
            for f in 0..<count {
                factories.append(Scheduling.PlacementFactory(
                    factory: f, setupCost: Int64(rng.int(in: 0...30_000)), batchCost: Int64(rng.int(in: 10_000...60_000)), batchUnits: nil,
                    slots: [Scheduling.PlacementSlot(slot: f, free: rng.int(in: 2_000...12_000), unitCost: Int64(rng.int(in: 30...45)),
                                                     day: Day(ordinal: 20_000), groupUnits: rng.chance(0.3) ? rng.int(in: 1...50) : 0)]))
            }
            let total = factories.reduce(0) { $0 + $1.slots[0].free }
            let request = Scheduling.PlacementRequest(quantity: rng.int(in: total / 3...total), minLot: rng.chance(0.5) ? 1 : 500,
                                                      maxFactories: rng.int(in: 2...4), factories: factories)
            // Reference: every set of at most maxFactories factories; within a set the units go to
            // the cheapest unit costs first (one slot each, a batch unlimited: a used factory pays
            // its setup and, unless its slot already has a batch of the pool open, one batch).
            var best: (served: Int, cost: Int64) = (0, 0)
            for mask in 1..<(1 << count) where mask.nonzeroBitCount <= request.maxFactories {
                let set = (0..<count).filter { mask & (1 << $0) != 0 }.sorted { factories[$0].slots[0].unitCost < factories[$1].slots[0].unitCost }
                guard set.allSatisfy({ factories[$0].slots[0].free >= request.minLot }) else { continue }
                let room = set.reduce(0) { $0 + factories[$1].slots[0].free }
                let served = min(request.quantity, room)
                guard served >= set.count * request.minLot else { continue }
                // Every factory makes at least a lot; the rest by unit cost.
                var take = set.map { _ in request.minLot }
                var left = served - set.count * request.minLot
                for (i, f) in set.enumerated() {
                    let more = min(left, factories[f].slots[0].free - take[i])
                    take[i] += more
                    left -= more
                }
                var cost: Int64 = 0
                for (i, f) in set.enumerated() {
                    let pf = factories[f]
                    cost += Int64(take[i]) * pf.slots[0].unitCost + pf.setupCost + (pf.slots[0].groupUnits > 0 ? 0 : pf.batchCost)
                }
                if served > best.served || (served == best.served && cost < best.cost) { best = (served, cost) }
            }
            let result = Scheduling.placeSingleOrder(request)
            #expect(result.exact, "case \(caseIndex)")
            #expect(result.served == best.served && result.cost == best.cost, "case \(caseIndex): (\(result.served), \(result.cost)) vs \(best)")
            if ReducedPooledPlacement.convolutionWork(width: request.quantity + 1, lot: request.minLot, maxOthers: min(3, request.maxFactories - 1))
                > ReducedPooledPlacement.convolutionBudget { wide += 1 }
        }
        #expect(wide > 0, "some cases take the bound that stands in for the convolutions")
    }
}
