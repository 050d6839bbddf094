import Testing
@testable import WeftCore

/// Exhaustive reference: every per-factory unit count, costs from sorted unit prices.
private func bruteForce(_ request: Scheduling.PlacementRequest) -> (served: Int, cost: Int64) {
    let factories = request.factories
    // Per factory: sorted unit prices of its free units.
    let prices: [[Int64]] = factories.map { f in
        f.slots.flatMap { Array(repeating: $0.unitCost, count: max(0, $0.free)) }.sorted()
    }
    // A factory the order already uses must be completed to min_lot when that is possible
    // (and all such completions fit in the quantity); otherwise any number of units is fine.
    var need = factories.enumerated().map { j, f -> Int in
        guard f.existingUnits > 0, f.existingUnits < request.minLot else { return 0 }
        let n = request.minLot - f.existingUnits
        return n <= prices[j].count ? n : 0
    }
    if need.reduce(0, +) > request.quantity { need = need.map { _ in 0 } }
    var best: (served: Int, cost: Int64) = (-1, 0)
    var counts = [Int](repeating: 0, count: factories.count)
    func visit(_ i: Int) {
        if i == factories.count {
            var served = 0, cost: Int64 = 0, used = 0
            for (j, f) in factories.enumerated() {
                let total = f.existingUnits + counts[j]
                if total > 0 { used += 1 }
                if counts[j] > 0 && f.existingUnits == 0 { cost += f.setupCost }
                served += counts[j]
                cost += prices[j].prefix(counts[j]).reduce(0, +)
            }
            guard served <= request.quantity, used <= max(request.maxFactories, factories.filter { $0.existingUnits > 0 }.count) else { return }
            if served > best.served || (served == best.served && cost < best.cost) { best = (served, cost) }
            return
        }
        let f = factories[i]
        for k in 0...prices[i].count {
            // Lots: a used factory's total reaches min_lot (existing units count).
            if k > 0 && f.existingUnits == 0 && k < request.minLot { continue }
            if f.existingUnits > 0 && k < need[i] { continue }
            counts[i] = k
            visit(i + 1)
        }
        counts[i] = 0
    }
    visit(0)
    return best
}

private func randomRequest(_ rng: inout Scheduling.SeededRandom, forced: Bool) -> Scheduling.PlacementRequest {
    let nf = rng.int(in: 1...4)
    var factories: [Scheduling.PlacementFactory] = []
    var slotID = 0
    for f in 0..<nf {
        var slots: [Scheduling.PlacementSlot] = []
        for _ in 0..<rng.int(in: 0...3) {
            slots.append(.init(slot: slotID, free: rng.int(in: 0...5), unitCost: Int64(rng.int(in: 1...9)), day: Day(ordinal: Int32(rng.int(in: 0...3)))))
            slotID += 1
        }
        let existing = forced && rng.chance(0.3) ? rng.int(in: 1...4) : 0
        factories.append(.init(factory: f, setupCost: Int64(rng.int(in: 0...3) * rng.int(in: 0...10)), existingUnits: existing, slots: slots))
    }
    return .init(quantity: rng.int(in: 1...14), minLot: rng.chance(0.5) ? 1 : rng.int(in: 1...5),
                 maxFactories: rng.int(in: 1...4), factories: factories)
}

@Suite("Single-order placement")
struct PlacementTests {
    @Test("equals exhaustive search on random small cases")
    func matchesBruteForce() {
        var rng = Scheduling.SeededRandom(seed: 42)
        for caseIndex in 0..<1500 {
            let request = randomRequest(&rng, forced: caseIndex % 3 == 0)
            let result = Scheduling.placeSingleOrder(request)
            let reference = bruteForce(request)
            #expect(result.exact)
            #expect(result.served == reference.served, "case \(caseIndex): served \(result.served) vs \(reference.served) \(request)")
            #expect(result.cost == reference.cost, "case \(caseIndex): cost \(result.cost) vs \(reference.cost) \(request)")
            // The allocations add up to what is reported and respect the free units.
            let byslot = Dictionary(uniqueKeysWithValues: request.factories.flatMap(\.slots).map { ($0.slot, $0) })
            #expect(result.allocations.reduce(0) { $0 + $1.units } == result.served)
            for a in result.allocations { #expect(a.units <= byslot[a.slot]!.free) }
        }
    }
}

/// Reference for larger cases: every factory subset, each filled greedily (lots first, then the
/// cheapest remaining units) — optimal for a fixed subset because the per-factory costs are
/// convex; independent of the branch and bound and its bound.
private func subsetReference(_ request: Scheduling.PlacementRequest) -> (served: Int, cost: Int64) {
    let factories = request.factories
    let prices: [[Int64]] = factories.map { f in
        f.slots.flatMap { Array(repeating: $0.unitCost, count: max(0, $0.free)) }.sorted()
    }
    var best: (served: Int, cost: Int64) = (0, 0)
    for mask in 0..<(1 << factories.count) {
        let members = (0..<factories.count).filter { mask & (1 << $0) != 0 }
        guard members.count <= request.maxFactories else { continue }
        guard members.allSatisfy({ prices[$0].count >= request.minLot }) else { continue }
        let low = members.count * request.minLot
        guard low <= request.quantity else { continue }
        var cost = members.reduce(Int64(0)) { $0 + factories[$1].setupCost + prices[$1].prefix(request.minLot).reduce(0, +) }
        let extras = members.flatMap { prices[$0].dropFirst(request.minLot) }.sorted()
        let more = min(extras.count, request.quantity - low)
        cost += extras.prefix(more).reduce(0, +)
        let served = low + more
        if served > best.served || (served == best.served && cost < best.cost) { best = (served, cost) }
    }
    return best
}

extension PlacementTests {
    @Test("equals subset enumeration with up to 10 factories, and the margin holds when cut short")
    func matchesSubsetEnumeration() {
        var rng = Scheduling.SeededRandom(seed: 7)
        var cutShort = 0
        for caseIndex in 0..<400 {
            let nf = rng.int(in: 5...10)
            var factories: [Scheduling.PlacementFactory] = []
            var slotID = 0
            for f in 0..<nf {
                var slots: [Scheduling.PlacementSlot] = []
                for _ in 0..<rng.int(in: 1...4) {
                    slots.append(.init(slot: slotID, free: rng.int(in: 0...40), unitCost: Int64(rng.int(in: 50...90)), day: Day(ordinal: Int32(rng.int(in: 0...6)))))
                    slotID += 1
                }
                factories.append(.init(factory: f, setupCost: Int64(rng.int(in: 0...2000)), slots: slots))
            }
            var request = Scheduling.PlacementRequest(quantity: rng.int(in: 10...200), minLot: rng.int(in: 1...30),
                                                      maxFactories: rng.int(in: 1...5), factories: factories)
            let reference = subsetReference(request)
            let result = Scheduling.placeSingleOrder(request)
            #expect(result.exact)
            #expect(result.served == reference.served && result.cost == reference.cost,
                    "case \(caseIndex): (\(result.served), \(result.cost)) vs \(reference)")
            // With a tiny node limit the answer may be worse, but never below its own bound.
            request.nodeLimit = 2
            let cut = Scheduling.placeSingleOrder(request)
            #expect(cut.served == reference.served)
            #expect(cut.costLowerBound <= reference.cost && reference.cost <= cut.cost)
            if !cut.exact { cutShort += 1 } else { #expect(cut.cost == reference.cost) }
        }
        #expect(cutShort > 0)
    }
}
