extension Scheduling {
    /// The pooled shapes of ``Scheduling/generateInstance(_:)``: orders in pools, factories with
    /// batch costs. Deterministic like the others; `asOf` is 2025-03-03.
    ///
    /// - `pooled`: orders of 1–120 units (demand about 60 % of capacity), 85 % of them in one of
    ///   12 pools; per factory a setup of 2–15 (shipping), a batch cost of 2,000–20,000 and
    ///   batches of 50–400 units (unlimited for one factory in five); unit costs 80–160.
    /// - `pcb-sample`: prototype boards, 5–100 per order, 90 % in one of 10 panel pools (the
    ///   rest need a panel of their own); per factory 150–900 boards a day, unit cost 40–90 a
    ///   board, a setup of 300–1,200 per order (handling, shipment), a panel run (batch) of
    ///   18,000–40,000 holding 150–400 boards.
    public static func generatePooledInstance(_ spec: InstanceSpec) -> Problem {
        var rng = SeededRandom(seed: spec.seed &* 0x9E37_79B9 &+ UInt64(spec.shape.hashSeed))
        let asOf = Day(year: 2025, month: 3, day: 3)!
        let regions = ["CN-GD", "CN-ZJ", "VN-SG", "IN-TN"]
        let pcb = spec.shape == .pcbSample
        let days = max(1, spec.days)
        var factories: [Factory] = []
        var basePrice: [Int64] = []
        var dailyUnits: [Int] = []
        for f in 0..<max(1, spec.factories) {
            let setup = Int64(pcb ? rng.int(in: 300...1_200) : rng.int(in: 2...15))
            let batchCost = Int64(pcb ? rng.int(in: 18_000...40_000) : rng.int(in: 2_000...20_000))
            let batchUnits: Int? = pcb ? rng.int(in: 150...400) : (rng.chance(0.2) ? nil : rng.int(in: 50...400))
            factories.append(Factory(id: "f\(f + 1)", region: regions[rng.below(regions.count)],
                                     certifications: rng.chance(0.6) ? ["ISO9001"] : [], leadDays: rng.int(in: 0...3),
                                     setupCost: setup, batchCost: batchCost, batchUnits: batchUnits))
            basePrice.append(Int64(pcb ? rng.int(in: 40...90) : rng.int(in: 80...160)))
            dailyUnits.append(pcb ? rng.int(in: 150...900) : rng.int(in: 40...400))
        }
        var slots: [Slot] = []
        for f in factories.indices {
            for d in 0..<days where rng.chance(0.85) {
                let day = asOf.adding(days: d)
                let units = max(1, dailyUnits[f] * rng.int(in: 60...140) / 100)
                let cost = basePrice[f] * Int64(rng.int(in: 90...115)) / 100
                slots.append(Slot(id: "s\(slots.count + 1)", factory: f, day: day, units: units, unitCost: cost))
            }
        }
        let capacity = slots.reduce(0) { $0 + $1.units }
        let n = max(0, spec.orders)
        let pools = pcb ? ["fr4.2l.hasl", "fr4.2l.enig", "fr4.4l.hasl", "fr4.4l.enig", "fr4.6l.enig", "fr4.2l.osp",
                           "alu.1l.hasl", "flex.2l.enig", "fr4.8l.enig", "rogers.2l.enig"]
                         : (0..<12).map { "pool\($0)" }
        var raw: [Int] = []
        for _ in 0..<n { raw.append(pcb ? rng.int(in: 5...100) : rng.int(in: 1...120)) }
        // The pooled shape scales demand to 60 % of capacity; PCB orders keep their board counts.
        let scale = pcb || n == 0 ? 1.0 : 0.6 * Double(capacity) / Double(max(1, raw.reduce(0, +)))
        var orders: [Order] = []
        for i in 0..<n {
            let quantity = min(1_000_000, max(1, Int(Double(raw[i]) * scale)))
            let release = rng.chance(0.8) ? asOf : asOf.adding(days: rng.int(in: 0...max(0, days / 3)))
            let window = rng.int(in: max(2, days / 3)...max(3, days + 2))
            let due = Day(ordinal: release.ordinal + Int32(window))
            // Skewed pool popularity: a few pools hold most orders.
            let u = rng.unit()
            let pool: String? = rng.chance(pcb ? 0.9 : 0.85) ? pools[Int(Double(pools.count) * u * u)] : nil
            var order = Order(id: "o\(i + 1)", quantity: quantity, dueDate: due, releaseDate: release,
                              minLot: 1, maxFactories: rng.int(in: 1...3), priority: rng.chance(0.5) ? rng.int(in: 1...5) : 3, pool: pool)
            if rng.chance(0.2) { order.certifications = ["ISO9001"] }
            orders.append(order)
        }
        var problem = Problem(capability: pcb ? "pcb.fab" : "cap.pooled", asOf: asOf, factories: factories, slots: slots, orders: orders)
        if spec.withStartPlan && n > 0 { addStartPlan(to: &problem, rng: &rng) }
        return problem
    }
}
