/// The static facts of one problem, precomputed once for the bound, the greedy baseline and the
/// solver: every order's candidate slots grouped by factory, pinned units, residual capacity
/// and stability floors.
struct ProblemIndex: Sendable {
    let problem: Scheduling.Problem
    /// Per order: its eligible slots by factory (plus factories where it has pinned units, which
    /// it keeps using even when they are no longer eligible), `existing` = its pinned units.
    var candidates: [CandidateSet]
    /// Per slot: pinned units in it.
    var pinnedBySlot: [Int]
    /// Per order: pinned units.
    var pinnedByOrder: [Int]
    /// Per slot: units left for movable allocations = max(0, units − pinned).
    var capacity: [Int]
    /// Per order: the least units it must end with (``Scheduling/stabilityFloor(_:start:)``).
    var floor: [Int]
    /// Per order: its unpinned starting units in eligible slots (these can be kept as they are).
    var startMovable: [[Scheduling.SlotUnits]]
    /// Pinned allocations, merged per (order, slot, pinned).
    var pinned: [Scheduling.Allocation]
    /// Cost of the pinned allocations (units × unit cost + setup of each (order, factory) pair
    /// with pinned units), a constant of every plan.
    var pinnedCost: Int64
    /// Per slot: its factory.
    var slotFactory: [Int]
    /// Per order, per candidate factory: whether the order has pinned units there below its
    /// minimum lot, completed to the lot by unpinned units in the starting plan. A plan must
    /// keep such a lot complete (the pinned units cannot leave, so the factory stays used).
    var lotToKeep: [[Bool]]

    init(_ problem: Scheduling.Problem) {
        self.problem = problem
        let slots = problem.slots, factories = problem.factories, orders = problem.orders
        let valid = problem.allocations.filter {
            $0.order >= 0 && $0.order < orders.count && $0.slot >= 0 && $0.slot < slots.count && $0.units > 0
        }
        slotFactory = slots.map(\.factory)
        pinnedBySlot = [Int](repeating: 0, count: slots.count)
        pinnedByOrder = [Int](repeating: 0, count: orders.count)
        var pinnedPairs = [[(factory: Int, units: Int)]](repeating: [], count: orders.count)
        pinned = Scheduling.canonical(valid.filter(\.pinned))
        pinnedCost = 0
        for a in pinned {
            pinnedBySlot[a.slot] += a.units
            pinnedByOrder[a.order] += a.units
            pinnedCost += Int64(a.units) * slots[a.slot].unitCost
            let f = slots[a.slot].factory
            if let i = pinnedPairs[a.order].firstIndex(where: { $0.factory == f }) {
                pinnedPairs[a.order][i].units += a.units
            } else {
                pinnedPairs[a.order].append((f, a.units))
                pinnedCost += factories[f].setupCost
            }
        }
        let pinnedSlots = pinnedBySlot
        capacity = slots.indices.map { max(0, slots[$0].units - pinnedSlots[$0]) }
        floor = Scheduling.stabilityFloor(problem, start: valid)

        // Slots of each factory by day, for window lookups by binary search.
        var byFactory = [[Int]](repeating: [], count: factories.count)
        for (i, s) in slots.enumerated() { byFactory[s.factory].append(i) }
        for f in byFactory.indices { byFactory[f].sort { (slots[$0].day, $0) < (slots[$1].day, $1) } }

        // The slot-independent rules as bit masks (regions and certifications numbered), so the
        // orders × factories check is a few integer operations; the plain check is used when
        // there are more than 64 codes of a kind.
        var regionCode: [String: Int] = [:], certCode: [String: Int] = [:]
        for f in factories {
            if regionCode[f.region] == nil { regionCode[f.region] = regionCode.count }
            for c in f.certifications.sorted() where certCode[c] == nil { certCode[c] = certCode.count }
        }
        let masks = regionCode.count <= 64 && certCode.count <= 64
        let factoryRegion = factories.map { UInt64(1) << UInt64(regionCode[$0.region] ?? 0) }
        let factoryCerts = factories.map { f in f.certifications.reduce(UInt64(0)) { $0 | (UInt64(1) << UInt64(certCode[$1] ?? 0)) } }

        candidates = []
        candidates.reserveCapacity(orders.count)
        for (o, order) in orders.enumerated() {
            var set = CandidateSet()
            let first = max(order.releaseDate, problem.asOf)
            var allowedRegions = UInt64.max, requiredCerts: UInt64 = 0, impossible = false
            if masks {
                if !order.regions.isEmpty {
                    allowedRegions = order.regions.reduce(UInt64(0)) { $0 | (regionCode[$1].map { UInt64(1) << UInt64($0) } ?? 0) }
                }
                for c in order.certifications {
                    if let code = certCode[c] { requiredCerts |= UInt64(1) << UInt64(code) } else { impossible = true }
                }
            }
            for f in factories.indices {
                let factory = factories[f]
                let pinnedHere = pinnedPairs[o].first(where: { $0.factory == f })?.units ?? 0
                var items: [(slot: Int, price: Int64, day: Day)] = []
                let allowed = masks
                    ? factory.offersCapability && factory.active && !impossible
                        && factoryRegion[f] & allowedRegions != 0 && factoryCerts[f] & requiredCerts == requiredCerts
                    : Scheduling.factoryExclusion(order: order, factory: factory) == nil
                if allowed {
                    let last = Day(ordinal: order.dueDate.ordinal - Int32(clamping: factory.leadDays))
                    let list = byFactory[f]
                    // First slot on or after `first`.
                    var lo = 0, hi = list.count
                    while lo < hi { let mid = (lo + hi) / 2; if slots[list[mid]].day < first { lo = mid + 1 } else { hi = mid } }
                    var i = lo
                    while i < list.count, slots[list[i]].day <= last {
                        let s = slots[list[i]]
                        if order.maxUnitCost.map({ s.unitCost <= $0 }) ?? true { items.append((list[i], s.unitCost, s.day)) }
                        i += 1
                    }
                }
                if !items.isEmpty || pinnedHere > 0 {
                    set.addFactory(factory: f, setup: factory.setupCost, existing: pinnedHere, slots: items)
                }
            }
            candidates.append(set)
        }

        startMovable = [[Scheduling.SlotUnits]](repeating: [], count: orders.count)
        for a in Scheduling.canonical(valid.filter { !$0.pinned }) where problem.isEligible(order: a.order, slot: a.slot) {
            startMovable[a.order].append(Scheduling.SlotUnits(slot: a.slot, units: a.units))
        }
        lotToKeep = []
        for o in orders.indices {
            let c = candidates[o]
            var keep = [Bool](repeating: false, count: c.count)
            for i in 0..<c.count where c.existing[i] > 0 && c.existing[i] < orders[o].minLot {
                let f = c.factory[i]
                let movable = startMovable[o].reduce(0) { $0 + (slots[$1.slot].factory == f ? $1.units : 0) }
                keep[i] = c.existing[i] + movable >= orders[o].minLot
            }
            lotToKeep.append(keep)
        }
    }
}
