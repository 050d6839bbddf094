import Testing
@testable import WeftCore

/// The advice of a short order (a later due date, a higher price cap) is found from the most
/// units each trial could serve, which costs play no part in: the trials count units with the
/// plain engine's closed form instead of searching for the cheapest pooled plan over every slot
/// up to the advice horizon. These tests hold that shortcut to the full placements it replaced.
@Suite("Pooled advice")
struct PooledAdviceTests {
    @Test("mostUnits is exactly placeSingleOrder's served units and shortfall cause, batch costs or not")
    func mostUnitsMatchesPlacement() {
        var rng = Scheduling.SeededRandom(seed: 12)
        for caseIndex in 0..<1_500 {
            var factories: [Scheduling.PlacementFactory] = []
            var id = 0
            for f in 0..<rng.int(in: 1...5) {
                var slots: [Scheduling.PlacementSlot] = []
                for _ in 0..<rng.int(in: 1...3) {
                    slots.append(Scheduling.PlacementSlot(slot: id, free: rng.int(in: 0...8), unitCost: Int64(rng.int(in: 1...9)),
                                                          day: Day(ordinal: Int32(rng.int(in: 0...3))),
                                                          groupUnits: rng.chance(0.4) ? rng.int(in: 1...7) : 0))
                    id += 1
                }
                factories.append(Scheduling.PlacementFactory(
                    factory: f, setupCost: Int64(rng.int(in: 0...20)), existingUnits: rng.chance(0.15) ? rng.int(in: 1...3) : 0,
                    batchCost: rng.chance(0.7) ? Int64(rng.int(in: 1...40)) : 0,
                    batchUnits: rng.chance(0.3) ? nil : rng.int(in: 1...5), slots: slots))
            }
            let request = Scheduling.PlacementRequest(quantity: rng.int(in: 1...20), minLot: rng.chance(0.6) ? 1 : rng.int(in: 1...4),
                                                      maxFactories: rng.int(in: 1...4), factories: factories)
            let placed = Scheduling.placeSingleOrder(request)
            let most = Scheduling.mostUnits(request)
            #expect(most.served == placed.served && most.shortfall == placed.shortfall, "case \(caseIndex): \(most) vs \(placed.served), \(String(describing: placed.shortfall))")
        }
    }

    @Test("a short pooled order's advice equals the one found by a full placement at every later due date and price cap")
    func adviceMatchesFullPlacements() {
        var rng = Scheduling.SeededRandom(seed: 2026)
        let base = Day(ordinal: 20_000)
        var dueAdvice = 0, capAdvice = 0
        for caseIndex in 0..<300 {
            let factoryCount = rng.int(in: 1...4)
            let factories = (0..<factoryCount).map { f in
                Scheduling.Factory(id: "f\(f)", region: "A", leadDays: rng.int(in: 0...2), setupCost: Int64(rng.int(in: 0...30)),
                                   batchCost: rng.chance(0.8) ? Int64(rng.int(in: 1...50)) : 0,
                                   batchUnits: rng.chance(0.3) ? nil : rng.int(in: 2...6))
            }
            var slots: [Scheduling.Slot] = []
            for f in 0..<factoryCount {
                for d in 0..<rng.int(in: 2...8) where rng.chance(0.8) {
                    slots.append(Scheduling.Slot(id: "s\(slots.count)", factory: f, day: base.adding(days: d), units: rng.int(in: 0...6),
                                                 unitCost: Int64(rng.int(in: 1...12)),
                                                 outsidePoolUnits: rng.chance(0.4) ? ["p": rng.int(in: 1...9)] : [:]))
                }
            }
            let free = slots.map { rng.chance(0.2) ? 0 : $0.units }
            let order = Scheduling.Order(id: "o", quantity: rng.int(in: 4...20), dueDate: base.adding(days: rng.int(in: 0...3)),
                                         releaseDate: base, maxUnitCost: rng.chance(0.5) ? Int64(rng.int(in: 2...8)) : nil,
                                         minLot: rng.chance(0.7) ? 1 : rng.int(in: 2...3), maxFactories: rng.int(in: 1...3),
                                         pool: rng.chance(0.8) ? "p" : nil)
            let placed = Scheduling.place(order: order, asOf: base, factories: factories, slots: slots, free: free)
            guard let shortfall = placed.shortfall else { continue }

            // The reference: a full placement (cheapest plan, batch costs and all) at every later
            // due date, then at every higher price cap; the earliest (lowest) that serves in full,
            // else the earliest that serves the most, if that is more than now.
            func served(_ relaxed: Scheduling.Order) -> Int {
                Scheduling.place(order: relaxed, asOf: base, factories: factories, slots: slots, free: free, advise: false).servedUnits
            }
            func earliest<T>(_ candidates: [T], _ relax: (T) -> Scheduling.Order) -> (T, Int)? {
                let results = candidates.map { ($0, served(relax($0))) }
                guard let most = results.map(\.1).max(), most > placed.servedUnits else { return nil }
                return results.first { $0.1 >= min(most, order.quantity) }
            }
            let dueDates = (1...12).map { order.dueDate.adding(days: $0) }
            let due = earliest(dueDates) { var o = order; o.dueDate = $0; return o }
            #expect(shortfall.laterDueDate == due.map { .init(dueDate: $0.0, servedUnits: $0.1) }, "case \(caseIndex)")
            if due != nil { dueAdvice += 1 }
            if let cap = order.maxUnitCost {
                let caps = Array((cap + 1)...12)
                let price = earliest(caps) { var o = order; o.maxUnitCost = $0; return o }
                #expect(shortfall.higherPriceCap == price.map { .init(maxUnitCost: $0.0, servedUnits: $0.1) }, "case \(caseIndex)")
                if price != nil { capAdvice += 1 }
            } else {
                #expect(shortfall.higherPriceCap == nil)
            }
        }
        // The cases exercise both kinds of advice.
        #expect(dueAdvice > 20 && capAdvice > 20, "\(dueAdvice) due-date and \(capAdvice) price-cap advices")
    }
}
