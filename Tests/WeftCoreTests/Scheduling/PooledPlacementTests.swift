import Testing
@testable import WeftCore

private typealias PSlot = Scheduling.PlacementSlot
private typealias PFactory = Scheduling.PlacementFactory

/// Every integer plan of one order over the request's slots: most units, then the least true
/// cost (units × unit cost + setup of each newly used factory + batches added over each slot's
/// group units).
private func bruteForce(_ r: Scheduling.PlacementRequest) -> (served: Int, cost: Int64) {
    let slots = r.factories.enumerated().flatMap { f, pf in pf.slots.map { (f, $0) } }
    var x = [Int](repeating: 0, count: slots.count)
    var need = r.factories.map { pf -> Int in
        guard pf.existingUnits > 0, pf.existingUnits < r.minLot else { return 0 }
        let n = r.minLot - pf.existingUnits
        return n <= pf.slots.reduce(0) { $0 + max(0, $1.free) } ? n : 0
    }
    if need.reduce(0, +) > r.quantity { need = need.map { _ in 0 } }
    var best: (served: Int, cost: Int64) = (0, 0)
    func leaf() {
        var perFactory = [Int](repeating: 0, count: r.factories.count)
        var served = 0, cost: Int64 = 0
        for (i, (f, s)) in slots.enumerated() where x[i] > 0 {
            perFactory[f] += x[i]
            served += x[i]
            let pf = r.factories[f]
            cost += Int64(x[i]) * s.unitCost
            cost += Int64(Scheduling.batchCount(units: s.groupUnits + x[i], batchUnits: pf.batchUnits)
                          - Scheduling.batchCount(units: s.groupUnits, batchUnits: pf.batchUnits)) * pf.batchCost
        }
        // Lots as the plain engine's reference has them: a new factory makes 0 or ≥ min_lot; a
        // factory the order already uses is completed to min_lot when that is possible.
        var used = 0
        for (f, pf) in r.factories.enumerated() {
            let total = perFactory[f] + pf.existingUnits
            if total > 0 { used += 1 }
            if pf.existingUnits == 0 && perFactory[f] > 0 && perFactory[f] < r.minLot { return }
            if pf.existingUnits > 0 && perFactory[f] < need[f] { return }
            if perFactory[f] > 0 && pf.existingUnits == 0 { cost += pf.setupCost }
        }
        if used > max(r.maxFactories, r.factories.filter { $0.existingUnits > 0 }.count) { return }
        if served > best.served || (served == best.served && cost < best.cost) { best = (served, cost) }
    }
    func visit(_ i: Int, _ left: Int) {
        if i == slots.count { return leaf() }
        for units in 0...min(left, slots[i].1.free) {
            x[i] = units
            visit(i + 1, left - units)
        }
        x[i] = 0
    }
    visit(0, r.quantity)
    return best
}

private func randomPooledRequest(_ rng: inout Scheduling.SeededRandom) -> Scheduling.PlacementRequest {
    var factories: [PFactory] = []
    var id = 0
    for f in 0..<rng.int(in: 1...3) {
        var slots: [PSlot] = []
        for _ in 0..<rng.int(in: 1...3) {
            slots.append(PSlot(slot: id, free: rng.int(in: 0...6), unitCost: Int64(rng.int(in: 1...9)),
                               day: Day(ordinal: Int32(rng.int(in: 0...3))), groupUnits: rng.chance(0.4) ? rng.int(in: 1...7) : 0))
            id += 1
        }
        factories.append(PFactory(factory: f, setupCost: Int64(rng.int(in: 0...20)), existingUnits: rng.chance(0.15) ? rng.int(in: 1...3) : 0,
                                  batchCost: rng.chance(0.8) ? Int64(rng.int(in: 1...40)) : 0,
                                  batchUnits: rng.chance(0.3) ? nil : rng.int(in: 1...5), slots: slots))
    }
    return Scheduling.PlacementRequest(quantity: rng.int(in: 1...9), minLot: rng.chance(0.6) ? 1 : rng.int(in: 1...3),
                                       maxFactories: rng.int(in: 1...3), factories: factories)
}

@Suite("Pooled placement")
struct PooledPlacementTests {
    @Test("joins the open batch of its pool: free room costs nothing more")
    func joinsOpenBatch() {
        // One factory, batches of 10 at 100. s0 (unit 2) already holds 5 units of pool p from
        // another order; s1 (unit 1) holds nothing. 5 units: s0 costs 10, s1 costs 5 + 100.
        let d = Day(ordinal: 20_000)
        let factories = [Scheduling.Factory(id: "f0", region: "A", batchCost: 100, batchUnits: 10)]
        let slots = [
            Scheduling.Slot(id: "s0", factory: 0, day: d, units: 5, unitCost: 2, outsidePoolUnits: ["p": 5]),
            Scheduling.Slot(id: "s1", factory: 0, day: d, units: 20, unitCost: 1),
        ]
        let order = Scheduling.Order(id: "o", quantity: 5, dueDate: d.adding(days: 3), releaseDate: d, pool: "p")
        let placed = Scheduling.place(order: order, asOf: d, factories: factories, slots: slots, free: [5, 20])
        #expect(placed.allocations == [Scheduling.SlotUnits(slot: 0, units: 5)])
        #expect(placed.cost == 10)
        #expect(placed.exact)
        // 7 units: the 5 units of room, then 2 more open a batch: in s1 (2 + 100) rather than
        // a second batch of s0 (no room left there anyway).
        var bigger = order
        bigger.quantity = 7
        let more = Scheduling.place(order: bigger, asOf: d, factories: factories, slots: slots, free: [5, 20])
        #expect(more.servedUnits == 7)
        // Either all 7 in s1 (7 + 100) or 5 in s0 and 2 in s1 (10 + 2 + 100): the latter is dearer.
        #expect(more.cost == 107)
        // Another pool sees no open batch in s0: the cheaper unit wins.
        var other = order
        other.pool = "q"
        let alone = Scheduling.place(order: other, asOf: d, factories: factories, slots: slots, free: [5, 20])
        #expect(alone.allocations == [Scheduling.SlotUnits(slot: 1, units: 5)])
        #expect(alone.cost == 105)
    }

    @Test("prefers a dearer factory whose open batch makes it cheaper overall, and its own kept units open batches too")
    func prefersOpenBatchOverCheaperUnits() {
        let d = Day(ordinal: 20_000)
        // f0: unit 3, a batch of pool p open with room 20; f1: unit 1, batches of 50 at 60.
        let factories = [
            Scheduling.Factory(id: "f0", region: "A", setupCost: 5, batchCost: 60, batchUnits: 50),
            Scheduling.Factory(id: "f1", region: "A", setupCost: 5, batchCost: 60, batchUnits: 50),
        ]
        let slots = [
            Scheduling.Slot(id: "s0", factory: 0, day: d, units: 40, unitCost: 3, outsidePoolUnits: ["p": 30]),
            Scheduling.Slot(id: "s1", factory: 1, day: d, units: 40, unitCost: 1),
        ]
        let order = Scheduling.Order(id: "o", quantity: 20, dueDate: d.adding(days: 3), releaseDate: d, pool: "p")
        // f0: 60 + 5 = 65; f1: 20 + 5 + 60 = 85.
        let placed = Scheduling.place(order: order, asOf: d, factories: factories, slots: slots, free: [40, 40])
        #expect(placed.allocations == [Scheduling.SlotUnits(slot: 0, units: 20)])
        #expect(placed.cost == 65)
        // With a small batch cost the cheaper unit wins: f1 20 + 5 + 10 = 35 < 65.
        var cheap = factories
        cheap[1].batchCost = 10
        let other = Scheduling.place(order: order, asOf: d, factories: cheap, slots: slots, free: [40, 40])
        #expect(other.allocations == [Scheduling.SlotUnits(slot: 1, units: 20)])
        #expect(other.cost == 35)
        // A displaced order keeping 10 units in s1 (no pool): its own batch there has room 40.
        var solo = order
        solo.pool = nil
        solo.quantity = 30
        let kept = Scheduling.place(order: solo, asOf: d, factories: factories, slots: slots, free: [40, 40],
                                    existing: [Scheduling.SlotUnits(slot: 1, units: 10)])
        #expect(kept.allocations == [Scheduling.SlotUnits(slot: 1, units: 20)])
        #expect(kept.cost == 20)
    }

    @Test("equals exhaustive search on random small pooled cases; a cut-short search keeps its margin")
    func matchesBruteForce() {
        var rng = Scheduling.SeededRandom(seed: 99)
        var cutShort = 0
        for caseIndex in 0..<800 {
            var request = randomPooledRequest(&rng)
            let reference = bruteForce(request)
            let result = Scheduling.placeSingleOrder(request)
            #expect(result.exact)
            #expect(result.served == reference.served && result.cost == reference.cost,
                    "case \(caseIndex): (\(result.served), \(result.cost)) vs \(reference) \(request)")
            // The allocations add up and, priced on their own, cost what is reported.
            #expect(result.allocations.reduce(0) { $0 + $1.units } == result.served)
            var fixed = request
            for f in fixed.factories.indices {
                for s in fixed.factories[f].slots.indices {
                    let id = fixed.factories[f].slots[s].slot
                    fixed.factories[f].slots[s].free = result.allocations.first { $0.slot == id }?.units ?? 0
                }
            }
            fixed.quantity = result.served
            #expect(bruteForce(fixed).cost == result.cost || result.served == 0, "case \(caseIndex)")
            request.nodeLimit = 1
            let cut = Scheduling.placeSingleOrder(request)
            #expect(cut.served == reference.served)
            #expect(cut.costLowerBound <= reference.cost && reference.cost <= cut.cost, "case \(caseIndex)")
            if !cut.exact { cutShort += 1 }
        }
        #expect(cutShort > 0)
    }

    @Test("equals exhaustive search with up to five factories and split limits up to four (single, pair and wider plans)")
    func matchesBruteForceWide() {
        var rng = Scheduling.SeededRandom(seed: 7)
        var multi = 0
        for caseIndex in 0..<1_000 {
            var factories: [PFactory] = []
            var id = 0
            for f in 0..<rng.int(in: 3...5) {
                var slots: [PSlot] = []
                for _ in 0..<rng.int(in: 1...2) {
                    slots.append(PSlot(slot: id, free: rng.int(in: 0...5), unitCost: Int64(rng.int(in: 1...6)),
                                       day: Day(ordinal: Int32(rng.int(in: 0...3))), groupUnits: rng.chance(0.5) ? rng.int(in: 1...7) : 0))
                    id += 1
                }
                factories.append(PFactory(factory: f, setupCost: Int64(rng.int(in: 0...12)), existingUnits: rng.chance(0.1) ? rng.int(in: 1...2) : 0,
                                          batchCost: rng.chance(0.85) ? Int64(rng.int(in: 1...30)) : 0,
                                          batchUnits: rng.chance(0.2) ? nil : rng.int(in: 1...4), slots: slots))
            }
            let request = Scheduling.PlacementRequest(quantity: rng.int(in: 1...8), minLot: rng.chance(0.7) ? 1 : 2,
                                                      maxFactories: rng.int(in: 1...4), factories: factories)
            let reference = bruteForce(request)
            let result = Scheduling.placeSingleOrder(request)
            #expect(result.exact)
            #expect(result.served == reference.served && result.cost == reference.cost,
                    "case \(caseIndex): (\(result.served), \(result.cost)) vs \(reference) \(request)")
            var fixed = request
            for f in fixed.factories.indices {
                for s in fixed.factories[f].slots.indices {
                    let id = fixed.factories[f].slots[s].slot
                    fixed.factories[f].slots[s].free = result.allocations.first { $0.slot == id }?.units ?? 0
                }
            }
            fixed.quantity = result.served
            #expect(bruteForce(fixed).cost == result.cost || result.served == 0, "case \(caseIndex)")
            if Set(result.allocations.map { a in factories.firstIndex { $0.slots.contains { $0.slot == a.slot } }! }).count >= 3 { multi += 1 }
        }
        #expect(multi > 0)
    }
}
