import Testing
@testable import WeftCore

@Suite("Placement candidates: the slots instant placement looks at")
struct PlacementCandidatesTests {
    /// A random network of factories with slots grouped by factory, and a random order.
    private static func instance(_ rng: inout Scheduling.SeededRandom) -> (Scheduling.Order, [Scheduling.Factory], [Scheduling.Slot], [Int], [Range<Int>]) {
        let base = Day(ordinal: 20_000)
        let regions = ["CN-GD", "VN-SG", "MX-NL"]
        var factories: [Scheduling.Factory] = []
        var slots: [Scheduling.Slot] = []
        var free: [Int] = []
        var ranges: [Range<Int>] = []
        for f in 0..<rng.int(in: 1...7) {
            factories.append(Scheduling.Factory(id: "f\(f)", active: rng.int(in: 0...9) > 0, region: regions[rng.int(in: 0...2)],
                                                certifications: rng.int(in: 0...1) == 0 ? ["ISO9001"] : [],
                                                leadDays: rng.int(in: 0...2), setupCost: Int64(rng.int(in: 0...300))))
            let start = slots.count
            for d in 0..<10 where rng.int(in: 0...3) > 0 {
                let units = rng.int(in: 0...12)
                slots.append(Scheduling.Slot(id: "s\(slots.count)", factory: f, day: base.adding(days: d), units: units,
                                             unitCost: Int64(rng.int(in: 1...6))))
                free.append(rng.int(in: 0...units))
            }
            ranges.append(start..<slots.count)
        }
        let release = base.adding(days: rng.int(in: 0...3))
        let order = Scheduling.Order(id: "o", quantity: rng.int(in: 1...30), dueDate: release.adding(days: rng.int(in: 0...8)),
                                     releaseDate: release, maxUnitCost: rng.int(in: 0...2) == 0 ? Int64(rng.int(in: 1...6)) : nil,
                                     regions: rng.int(in: 0...2) == 0 ? [regions[rng.int(in: 0...2)]] : [],
                                     certifications: rng.int(in: 0...3) == 0 ? ["ISO9001"] : [],
                                     minLot: rng.int(in: 1...4), maxFactories: rng.int(in: 1...4))
        return (order, factories, slots, free, ranges)
    }

    @Test("are the eligible slots with free units, each factory's cheapest up to the quantity, in order")
    func matchesTheRuleByDefinition() {
        var rng = Scheduling.SeededRandom(seed: 7)
        for _ in 0..<2_000 {
            let (order, factories, slots, free, ranges) = Self.instance(&rng)
            let asOf = order.releaseDate.adding(days: rng.int(in: -2...2))
            let chosen = Scheduling.placementCandidates(order: order, asOf: asOf, factories: factories, slots: slots, free: free, factorySlots: ranges)
            var expected: [Int] = []
            for range in ranges {
                let usable = range.filter { free[$0] > 0 && Scheduling.isEligible(order: order, slot: slots[$0], factory: factories[slots[$0].factory], asOf: asOf) }
                let byPrice = usable.sorted { (slots[$0].unitCost, slots[$0].day, $0) < (slots[$1].unitCost, slots[$1].day, $1) }
                var running = 0
                var keep: [Int] = []
                for i in byPrice where running < order.quantity {
                    keep.append(i)
                    running += free[i]
                }
                expected += keep.sorted()
            }
            #expect(chosen == expected)
        }
    }

    @Test("change nothing about the best plan")
    func placementIsTheSame() {
        var rng = Scheduling.SeededRandom(seed: 11)
        for _ in 0..<1_000 {
            let (order, factories, slots, free, ranges) = Self.instance(&rng)
            let asOf = order.releaseDate
            let whole = Scheduling.place(order: order, asOf: asOf, factories: factories, slots: slots, free: free, advise: false)
            let chosen = Scheduling.placementCandidates(order: order, asOf: asOf, factories: factories, slots: slots, free: free, factorySlots: ranges)
            let pruned = Scheduling.place(order: order, asOf: asOf, factories: factories, slots: chosen.map { slots[$0] },
                                          free: chosen.map { free[$0] }, advise: false)
            #expect(whole.exact && pruned.exact)
            #expect(pruned.servedUnits == whole.servedUnits)
            #expect(pruned.cost == whole.cost)
        }
    }

    @Test("with batch costs and open batches of the order's pool, change nothing about the best plan")
    func pooledPlacementIsTheSame() {
        var rng = Scheduling.SeededRandom(seed: 23)
        var dropped = 0
        for _ in 0..<1_000 {
            var (order, factories, slots, free, ranges) = Self.instance(&rng)
            order.pool = rng.chance(0.8) ? "p" : nil
            order.quantity = rng.int(in: 1...12)
            order.minLot = rng.int(in: 1...2)
            for f in factories.indices where rng.chance(0.8) {
                factories[f].batchCost = Int64(rng.int(in: 1...60))
                factories[f].batchUnits = rng.chance(0.2) ? nil : rng.int(in: 1...8)
            }
            // Open batches of pool p in some slots, read through the parameter (as the server
            // does) or from the slots themselves.
            var units = [Int](repeating: 0, count: slots.count)
            for i in slots.indices where rng.chance(0.4) { units[i] = rng.int(in: 1...9) }
            var withUnits = slots
            for i in slots.indices where units[i] > 0 { withUnits[i].outsidePoolUnits["p"] = units[i] }
            let asOf = order.releaseDate
            let whole = Scheduling.place(order: order, asOf: asOf, factories: factories, slots: withUnits, free: free, advise: false)
            let chosen = Scheduling.placementCandidates(order: order, asOf: asOf, factories: factories, slots: slots, free: free,
                                                        factorySlots: ranges, poolUnits: { units[$0] })
            let same = Scheduling.placementCandidates(order: order, asOf: asOf, factories: factories, slots: withUnits, free: free,
                                                      factorySlots: ranges)
            #expect(chosen == same)
            let eligible = slots.indices.filter { free[$0] > 0 && Scheduling.isEligible(order: order, slot: slots[$0], factory: factories[slots[$0].factory], asOf: asOf) }
            dropped += eligible.count - chosen.count
            let pruned = Scheduling.place(order: order, asOf: asOf, factories: factories, slots: chosen.map { withUnits[$0] },
                                          free: chosen.map { free[$0] }, advise: false)
            #expect(whole.exact && pruned.exact, "\(order) \(factories) \(withUnits) \(free) \(whole.cost) \(whole.costLowerBound)")
            #expect(pruned.servedUnits == whole.servedUnits)
            #expect(pruned.cost == whole.cost)
        }
        #expect(dropped > 0)
    }
}
