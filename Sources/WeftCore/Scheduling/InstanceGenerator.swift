extension Scheduling {
    /// Kinds of synthetic instances for tests and benchmarks.
    public enum InstanceShape: String, Sendable, CaseIterable {
        /// Many small orders (tens to a few hundred units), light setup costs, loose limits.
        case tinyOrders = "tiny-orders"
        /// Few large orders, heavy setup costs, large minimum lots, tight split limits.
        case largeOrders = "large-orders"
        /// Demand well above capacity, all priorities: who is served matters most.
        case overloaded
        /// A mixture of all of the above, with price caps, regions and certifications.
        case mixed
    }

    /// Parameters of a synthetic instance.
    public struct InstanceSpec: Sendable, Hashable {
        public var shape: InstanceShape
        public var orders: Int
        public var factories: Int
        public var days: Int
        public var seed: UInt64
        /// Add a starting plan: about two thirds of the orders placed by the naive greedy, some
        /// of it pinned (confirmed, or on the first day) — to exercise stability and pinning.
        public var withStartPlan: Bool

        public init(shape: InstanceShape, orders: Int, factories: Int, days: Int, seed: UInt64, withStartPlan: Bool = false) {
            self.shape = shape
            self.orders = orders
            self.factories = factories
            self.days = days
            self.seed = seed
            self.withStartPlan = withStartPlan
        }
    }

    /// A deterministic synthetic problem of one capability: the same spec always gives the same
    /// problem. Prices are in minor units (cents); `asOf` is 2025-03-03.
    public static func generateInstance(_ spec: InstanceSpec) -> Problem {
        var rng = SeededRandom(seed: spec.seed &* 0x9E37_79B9 &+ UInt64(spec.shape.hashSeed))
        let asOf = Day(year: 2025, month: 3, day: 3)!
        let regions = ["CN-GD", "CN-ZJ", "VN-SG", "IN-TN", "MX-NL", "TR-IS"]
        let certificationPool = [("ISO9001", 0.6), ("ISO14001", 0.3), ("IATF16949", 0.15), ("BSCI", 0.3)]
        let shape = spec.shape
        let days = max(1, spec.days)

        var factories: [Factory] = []
        var basePrice: [Int64] = []
        var dailyUnits: [Int] = []
        for f in 0..<max(1, spec.factories) {
            var certs = Set<String>()
            for (code, p) in certificationPool where rng.chance(p) { certs.insert(code) }
            let setup: Int64
            switch shape {
            case .tinyOrders: setup = Int64(rng.int(in: 200...3_000))
            case .largeOrders: setup = Int64(rng.int(in: 40_000...250_000))
            case .overloaded: setup = Int64(rng.int(in: 500...6_000))
            case .mixed: setup = Int64(rng.chance(0.3) ? rng.int(in: 20_000...120_000) : rng.int(in: 300...5_000))
            }
            factories.append(Factory(id: "f\(f + 1)", active: rng.chance(0.96), region: regions[rng.below(regions.count)],
                                     certifications: certs, leadDays: rng.int(in: 0...4), setupCost: setup))
            basePrice.append(Int64(rng.int(in: 80...160)))
            dailyUnits.append(shape == .largeOrders ? rng.int(in: 150...900) : rng.int(in: 40...400))
        }

        var slots: [Slot] = []
        for f in factories.indices {
            for d in 0..<days where rng.chance(0.85) {
                let day = asOf.adding(days: d)
                let weekend = (Int(day.ordinal) + 3) % 7 >= 5   // 1970-01-01 was a Thursday
                let units = max(1, dailyUnits[f] * rng.int(in: 60...140) / 100 / (weekend ? 2 : 1))
                let cost = basePrice[f] * Int64(rng.int(in: 90...115)) / 100 + (weekend ? basePrice[f] / 5 : 0)
                slots.append(Slot(id: "s\(slots.count + 1)", factory: f, day: day, units: units, unitCost: cost))
            }
        }
        let capacity = slots.reduce(0) { $0 + $1.units }
        let load: Double
        switch shape {
        case .tinyOrders: load = 0.65
        case .largeOrders: load = 0.7
        case .overloaded: load = 1.5
        case .mixed: load = 0.9
        }

        // Quantities: raw draws per shape, then scaled so demand ≈ load × capacity.
        let n = max(0, spec.orders)
        var raw: [Double] = []
        var kinds: [InstanceShape] = []
        for _ in 0..<n {
            let kind: InstanceShape = shape == .mixed ? [.tinyOrders, .tinyOrders, .largeOrders, .overloaded][rng.below(4)] : shape
            kinds.append(kind)
            switch kind {
            case .largeOrders: raw.append(Double(rng.int(in: 40...200)))
            default: raw.append(Double(rng.int(in: 1...30)) * (rng.chance(0.1) ? 4 : 1))
            }
        }
        let scale = n == 0 ? 0 : load * Double(capacity) / max(1, raw.reduce(0, +))
        let medianPrice = basePrice.sorted()[basePrice.count / 2]

        var orders: [Order] = []
        for i in 0..<n {
            let quantity = min(1_000_000, max(1, Int(raw[i] * scale)))
            let release = rng.chance(0.8) ? asOf.adding(days: -rng.int(in: 0...5)) : asOf.adding(days: rng.int(in: 0...max(0, days / 3)))
            let window = rng.int(in: max(2, days / 4)...max(3, days + 3))
            let due = Day(ordinal: max(release.ordinal, asOf.ordinal) + Int32(window))
            var order = Order(id: "o\(i + 1)", quantity: quantity, dueDate: due, releaseDate: release,
                              priority: shape == .overloaded || rng.chance(0.5) ? rng.int(in: 1...5) : 3)
            switch kinds[i] {
            case .largeOrders:
                order.minLot = max(1, quantity / rng.int(in: 4...12))
                order.maxFactories = rng.int(in: 2...6)
            case .tinyOrders:
                order.minLot = rng.chance(0.7) ? 1 : max(1, quantity / 4)
                order.maxFactories = rng.chance(0.3) ? rng.int(in: 1...2) : 8
            default:
                order.minLot = rng.chance(0.5) ? 1 : max(1, quantity / rng.int(in: 3...10))
                order.maxFactories = rng.int(in: 1...8)
            }
            if shape == .mixed || shape == .tinyOrders {
                if rng.chance(0.25) { order.maxUnitCost = medianPrice * Int64(rng.int(in: 95...130)) / 100 }
                if rng.chance(0.35) {
                    var allowed = Set<String>()
                    for _ in 0..<rng.int(in: 1...3) { allowed.insert(regions[rng.below(regions.count)]) }
                    order.regions = allowed
                }
                if rng.chance(0.2) { order.certifications = ["ISO9001"] }
            }
            orders.append(order)
        }

        var problem = Problem(capability: "cap.\(shape.rawValue)", asOf: asOf, factories: factories, slots: slots, orders: orders)
        if spec.withStartPlan && n > 0 {
            // Place a random two thirds greedily, then pin some of it.
            var subset = problem
            var chosen: [Int] = []
            for o in 0..<n where rng.below(3) < 2 { chosen.append(o) }
            subset.orders = chosen.map { orders[$0] }
            let plan = naiveGreedy(subset)
            problem.allocations = plan.map { a in
                let day = slots[a.slot].day
                let pinned = day <= asOf || rng.chance(0.15)
                return Allocation(order: chosen[a.order], slot: a.slot, units: a.units, pinned: pinned)
            }
        }
        return problem
    }
}

private extension Scheduling.InstanceShape {
    /// A stable per-shape salt (String hashing is randomised per process; this is not).
    var hashSeed: Int {
        switch self {
        case .tinyOrders: return 11
        case .largeOrders: return 23
        case .overloaded: return 37
        case .mixed: return 53
        }
    }
}
