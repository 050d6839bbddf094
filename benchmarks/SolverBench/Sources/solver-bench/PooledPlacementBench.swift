import Foundation
import WeftCore

/// `placement --pooled`: the path `POST /v1/orders` takes (``Scheduling/placementCandidates``,
/// then ``Scheduling/place``) on order-load.sh's network (200 factories × 30 days, setups
/// 500–5,000, unit costs 50–150, 200–1,000 units a slot), orders of 5–200 units placed one after
/// another into what the previous ones left. Run twice over the same orders: plain (every batch
/// cost 0, no pools) as the reference, then pooled (batch costs 2,000–6,000 for 100–400 units,
/// 80 % of the orders in one of 8 pools), and prints per-order placement times of both.
func pooledPlacementBench(_ args: [String]) {
    let count = Int(flag("orders", args) ?? "3000")!
    var rng = Scheduling.SeededRandom(seed: UInt64(flag("seed", args) ?? "1")!)
    let asOf = Day(year: 2026, month: 12, day: 2)!
    let regions = ["CN-GD", "CN-ZJ", "VN-SG", "IN-KA", "MX-NL"]
    var factories: [Scheduling.Factory] = []
    var slots: [Scheduling.Slot] = []
    var ranges: [Range<Int>] = []
    for g in 1...200 {
        factories.append(Scheduling.Factory(id: "f\(g)", region: regions[g % 5], certifications: g % 3 == 0 ? ["ISO9001"] : [],
                                            leadDays: g % 4, setupCost: Int64(rng.int(in: 500...5000)),
                                            batchCost: Int64(rng.int(in: 2000...6000)), batchUnits: rng.int(in: 100...400)))
        let start = slots.count
        for d in 0..<30 {
            slots.append(Scheduling.Slot(id: "s\(slots.count)", factory: g - 1, day: asOf.adding(days: d),
                                         units: rng.int(in: 200...1000), unitCost: Int64(rng.int(in: 50...150))))
        }
        ranges.append(start..<slots.count)
    }
    var orders: [Scheduling.Order] = []
    for i in 0..<count {
        let pool: String? = rng.chance(0.8) ? "fr4.p\(rng.int(in: 1...8))" : nil
        orders.append(Scheduling.Order(id: "o\(i)", quantity: rng.int(in: 5...200), dueDate: asOf.adding(days: rng.int(in: 5...29)),
                                       releaseDate: asOf, maxFactories: rng.int(in: 1...4), priority: rng.int(in: 1...5), pool: pool))
    }
    func pass(pooled: Bool) -> (times: [Double], inexact: Int, batchCost: Int64, served: Int) {
        var fs = factories
        if !pooled { for f in fs.indices { fs[f].batchCost = 0; fs[f].batchUnits = nil } }
        var free = slots.map(\.units)
        var poolUnits = [[String: Int]](repeating: [:], count: slots.count)
        var times: [Double] = []
        var inexact = 0, served = 0
        var added: Int64 = 0
        for order in orders {
            let t0 = now()
            let indices = Scheduling.placementCandidates(order: order, asOf: asOf, factories: fs, slots: slots, free: free, factorySlots: ranges,
                                                         poolUnits: { i in order.pool.flatMap { poolUnits[i][$0] } ?? 0 })
            let candidates = indices.map { i -> Scheduling.Slot in
                var s = slots[i]
                if pooled, let p = order.pool, let u = poolUnits[i][p] { s.outsidePoolUnits[p] = u }
                return s
            }
            let placement = Scheduling.place(order: order, asOf: asOf, factories: fs, slots: candidates,
                                             free: indices.map { free[$0] }, advise: false)
            times.append(now() - t0)
            if !placement.exact { inexact += 1 }
            served += placement.servedUnits
            added += placement.cost
            for a in placement.allocations {
                let i = indices[a.slot]
                free[i] -= a.units
                if pooled, let p = order.pool { poolUnits[i][p, default: 0] += a.units }
            }
        }
        return (times, inexact, added, served)
    }
    print("pooled placement: \(count) orders (5-200 units, max factories 1-4) placed one after another, 200 factories x 30 days, the server's path (placementCandidates + place)")
    for pooled in [false, true] {
        let r = pass(pooled: pooled)
        let sorted = r.times.sorted()
        func us(_ q: Double) -> Int { Int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] * 1e6) }
        let total = r.times.reduce(0, +)
        print(String(format: "  %@: mean %d us, median %d us, p90 %d us, p99 %d us, max %d us; %.1f orders/s on one thread; not proven exact: %d; units served %d; cost added %lld",
                     pooled ? "pooled" : "plain ", Int(total / Double(count) * 1e6), us(0.5), us(0.9), us(0.99), Int(sorted.last! * 1e6),
                     Double(count) / total, r.inexact, r.served, r.batchCost))
    }
}
