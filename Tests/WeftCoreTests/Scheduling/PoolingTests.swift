import Testing
@testable import WeftCore

private typealias A = Scheduling.Allocation

/// One factory f0 (setup 100, batch cost 30, batches of 10 units), one factory f1 (setup 0,
/// batch cost 50, unlimited batches); slots s0 (f0, day 0, 20 @ 2), s1 (f0, day 1, 20 @ 2),
/// s2 (f1, day 0, 30 @ 1). Orders o0 (6, pool p), o1 (7, pool p), o2 (3, no pool), o3 (4, pool q).
func pooledProblem(outside: [String: Int] = [:]) -> Scheduling.Problem {
    let d = { (n: Int32) in Day(ordinal: 20_000 + n) }
    let factories = [
        Scheduling.Factory(id: "f0", region: "A", setupCost: 100, batchCost: 30, batchUnits: 10),
        Scheduling.Factory(id: "f1", region: "A", setupCost: 0, batchCost: 50),
    ]
    let slots = [
        Scheduling.Slot(id: "s0", factory: 0, day: d(0), units: 20, unitCost: 2, outsidePoolUnits: outside),
        Scheduling.Slot(id: "s1", factory: 0, day: d(1), units: 20, unitCost: 2),
        Scheduling.Slot(id: "s2", factory: 1, day: d(0), units: 30, unitCost: 1),
    ]
    let orders = [
        Scheduling.Order(id: "o0", quantity: 6, dueDate: d(5), releaseDate: d(0), pool: "p"),
        Scheduling.Order(id: "o1", quantity: 7, dueDate: d(5), releaseDate: d(0), pool: "p"),
        Scheduling.Order(id: "o2", quantity: 3, dueDate: d(5), releaseDate: d(0)),
        Scheduling.Order(id: "o3", quantity: 4, dueDate: d(5), releaseDate: d(0), pool: "q"),
    ]
    return Scheduling.Problem(capability: "pcb.fab", asOf: d(0), factories: factories, slots: slots, orders: orders)
}

@Suite("Pooling")
struct PoolingTests {
    @Test("batch count: ⌈units / batch units⌉, one when unlimited, none at zero units")
    func batchCount() {
        #expect(Scheduling.batchCount(units: 0, batchUnits: 10) == 0)
        #expect(Scheduling.batchCount(units: 1, batchUnits: 10) == 1)
        #expect(Scheduling.batchCount(units: 10, batchUnits: 10) == 1)
        #expect(Scheduling.batchCount(units: 11, batchUnits: 10) == 2)
        #expect(Scheduling.batchCount(units: 0, batchUnits: nil) == 0)
        #expect(Scheduling.batchCount(units: 1_000_000, batchUnits: nil) == 1)
        #expect(Scheduling.batchCount(units: 7, batchUnits: 1) == 7)
        let f = Scheduling.Factory(id: "f", region: "A", batchCost: 30, batchUnits: 10)
        #expect(Scheduling.batchCost(units: 25, factory: f) == 90)
        // Outside units: 8 already there; 2 more fit the open batch, 3 more open a second.
        #expect(Scheduling.addedBatchCost(inside: 2, outside: 8, factory: f) == 0)
        #expect(Scheduling.addedBatchCost(inside: 3, outside: 8, factory: f) == 30)
        #expect(Scheduling.addedBatchCost(inside: 0, outside: 8, factory: f) == 0)
    }

    @Test("score: one batch cost per (slot, pool group); orders of one pool share, an order without a pool does not")
    func scoreWithPools() {
        let p = pooledProblem()
        // s0 holds o0 6 + o1 7 (pool p: 13 units, 2 batches) and o2 3 (alone: 1 batch);
        // s2 holds o3 4 (pool q, unlimited batches: 1 batch at 50).
        let plan = [A(order: 0, slot: 0, units: 6), A(order: 1, slot: 0, units: 7), A(order: 2, slot: 0, units: 3),
                    A(order: 3, slot: 2, units: 4)]
        let v = Scheduling.verify(p, plan: plan)
        #expect(v.violations.isEmpty)
        // units 16·2 + 4·1 = 36; setups f0 for o0, o1, o2 = 300, f1 for o3 = 0; batches 2·30 + 30 + 50 = 140.
        #expect(v.score == Scheduling.Score(hard: 0, unserved: 0, cost: 36 + 300 + 140))
        #expect(Scheduling.planBatchCost(p, plan: plan) == 140)

        // Without pools every order is its own group: o0 1 batch, o1 1, o2 1, o3 1 → 30·3 + 50.
        var alone = p
        for o in alone.orders.indices { alone.orders[o].pool = nil }
        #expect(Scheduling.score(alone, plan: plan).cost == 36 + 300 + 140)
        // Same pool in two slots: two groups of (slot, pool), each pays its own batches.
        let split = [A(order: 0, slot: 0, units: 6), A(order: 1, slot: 1, units: 7)]
        #expect(Scheduling.planBatchCost(p, plan: split) == 60)
        let together = [A(order: 0, slot: 0, units: 3), A(order: 1, slot: 0, units: 7)]
        #expect(Scheduling.planBatchCost(p, plan: together) == 30)
        // Pinned units count like any other.
        #expect(Scheduling.planBatchCost(p, plan: [A(order: 0, slot: 0, units: 3, pinned: true), A(order: 1, slot: 0, units: 8)]) == 60)
    }

    @Test("with every batch cost 0 pools change nothing in the score")
    func zeroBatchCost() {
        var p = pooledProblem()
        for f in p.factories.indices { p.factories[f].batchCost = 0 }
        var alone = p
        for o in alone.orders.indices { alone.orders[o].pool = nil }
        let plan = [A(order: 0, slot: 0, units: 6), A(order: 1, slot: 1, units: 7), A(order: 2, slot: 2, units: 3)]
        #expect(Scheduling.score(p, plan: plan) == Scheduling.score(alone, plan: plan))
        #expect(Scheduling.score(p, plan: plan).cost == 29 + 200)
        #expect(Scheduling.orderCosts(p, plan: plan).map(\.batch) == [0, 0, 0, 0])
        // A run plans exactly as without pools.
        let options = Scheduling.SolverOptions(seed: 3, maxIterations: 200)
        let pooled = Scheduling.solve(p, options: options), plain = Scheduling.solve(alone, options: options)
        #expect(pooled.plan == plain.plan)
        #expect(pooled.scoreAfter == plain.scoreAfter)
    }

    @Test("outside units: the score charges only the batches the problem's units add")
    func outsideUnits() {
        let p = pooledProblem(outside: ["p": 8, "q": 5])
        // 2 units of pool p fit the outside batch (8 of 10): no batch cost.
        #expect(Scheduling.planBatchCost(p, plan: [A(order: 0, slot: 0, units: 2)]) == 0)
        // 6 units: 14 units need 2 batches, the outside alone 1: one more batch.
        #expect(Scheduling.planBatchCost(p, plan: [A(order: 0, slot: 0, units: 6)]) == 30)
        // Pool q's outside units do not help pool p, nor an order without a pool.
        #expect(Scheduling.planBatchCost(p, plan: [A(order: 2, slot: 0, units: 2)]) == 30)
        // Outside units of s0 are invisible in s1.
        #expect(Scheduling.planBatchCost(p, plan: [A(order: 0, slot: 1, units: 2)]) == 30)
        // Whole network = outside part + problem's part: 8 outside + 6 + 7 = 21 units → 3 batches,
        // the outside alone 1 batch, so the problem adds 2.
        #expect(Scheduling.planBatchCost(p, plan: [A(order: 0, slot: 0, units: 6), A(order: 1, slot: 0, units: 7)]) == 60)
    }

    @Test("batch shares: proportional to units, floors, the remainder to the largest member, sum exact")
    func shares() {
        // 30·6/15 = 12, 30·7/15 = 14, 30·2/15 = 4 → sum 30 exactly: no remainder.
        #expect(Scheduling.batchShares(cost: 30, units: [6, 7, 2]) == [12, 14, 4])
        #expect(Scheduling.batchShares(cost: 10, units: [1, 1, 1]) == [4, 3, 3])
        #expect(Scheduling.batchShares(cost: 100, units: [1, 2]) == [33, 67])
        #expect(Scheduling.batchShares(cost: 0, units: [5, 5]) == [0, 0])
        #expect(Scheduling.batchShares(cost: 7, units: [0, 3]) == [0, 7])
        #expect(Scheduling.batchShares(cost: 5, units: [0, 0]) == [0, 0])
        var rng = Scheduling.SeededRandom(seed: 7)
        for _ in 0..<200 {
            let units = (0..<rng.int(in: 1...6)).map { _ in rng.int(in: 0...1_000_000) }
            guard units.contains(where: { $0 > 0 }) else { continue }
            let cost = Int64(rng.int(in: 0...2_000_000_000)) * 1_000
            let shares = Scheduling.batchShares(cost: cost, units: units)
            #expect(shares.reduce(0, +) == cost)
            let total = Double(units.reduce(0, +))
            for (s, u) in zip(shares, units) {
                #expect(abs(Double(s) - Double(cost) * Double(u) / total) <= Double(units.count))
            }
        }
    }

    @Test("an order's own cost: units, setups and its share of each batch; shares add up to the score")
    func orderCosts() {
        let p = pooledProblem()
        let plan = [A(order: 0, slot: 0, units: 6), A(order: 1, slot: 0, units: 7), A(order: 2, slot: 0, units: 3),
                    A(order: 3, slot: 2, units: 4)]
        let costs = Scheduling.orderCosts(p, plan: plan)
        // Pool p in s0: 13 units, 2 batches = 60: o0 ⌊60·6/13⌋ = 27, o1 ⌊60·7/13⌋ = 32, remainder 1 to o1.
        #expect(costs[0] == Scheduling.OrderCost(units: 12, setup: 100, batch: 27))
        #expect(costs[1] == Scheduling.OrderCost(units: 14, setup: 100, batch: 33))
        #expect(costs[2] == Scheduling.OrderCost(units: 6, setup: 100, batch: 30))
        #expect(costs[3] == Scheduling.OrderCost(units: 4, setup: 0, batch: 50))
        #expect(costs.map(\.total).reduce(0, +) == Scheduling.score(p, plan: plan).cost)

        // Outside units share the batch as one more member; the order pays its part of the whole.
        let q = pooledProblem(outside: ["p": 4])
        let c = Scheduling.orderCosts(q, plan: [A(order: 0, slot: 0, units: 6)])
        // 10 units, 1 batch of 30: o0 ⌊30·6/10⌋ = 18, the outside 12.
        #expect(c[0].batch == 18)
        #expect(c[1] == Scheduling.OrderCost())
    }
}
