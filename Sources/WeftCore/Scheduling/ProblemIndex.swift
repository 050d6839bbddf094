/// The static facts of one problem, precomputed once for the bound, the greedy baseline and the
/// solver: every order's candidate slots grouped by factory, pinned units, residual capacity
/// and stability floors.
///
/// **Candidates, compactly.** An order's candidate slots at a factory are that factory's slots in
/// the order's window (first day to due date minus lead days) under its price cap. Rather than
/// materialising those lists (tens of millions of entries on 2,000 orders × 1,000 factories ×
/// 30 days, hundreds of MiB per capability), the index keeps each factory's slots sorted once
/// by (unit cost, later day first, index) and, per order, only its candidate factories: the
/// lists are filtered views of the sorted ones, read in place by the hot loops and built into
/// a ``CandidateSet`` only where one is needed (``candidateSet(_:)``; cached for orders with
/// few segments).
struct ProblemIndex: Sendable {
    let problem: Scheduling.Problem
    /// Per order: its eligible slots by factory (plus factories where it has pinned units, which
    /// it keeps using even when they are no longer eligible), `existing` = its pinned units.
    /// Built on access (see ``candidateSet(_:)``).
    var candidates: Candidates { Candidates(index: self) }
    /// Per factory: its slots sorted by (unit cost, later day first, slot index).
    var factoryByPrice: [[Int32]]
    /// Per factory: its setup cost (a flat copy: reading it from `problem.factories` copies
    /// the factory, strings and sets included, in hot loops).
    var factorySetup: [Int64]
    /// Per factory: batch cost (≥ 0) and batch size (0 = unlimited), flat copies likewise.
    var factoryBatchCost: [Int64]
    var factoryBatchUnits: [Int]
    /// Per slot: day ordinal and unit cost (flat copies for the filters).
    var slotDay: [Int32]
    var slotPrice: [Int64]
    /// Candidate factories of order o are pairs `pairStart[o] ..< pairStart[o + 1]`.
    var pairStart: [Int]
    /// Per pair: the factory, the order's pinned units there, and the last day of the order's
    /// window there (`Int32.min` when the factory is not eligible and only pinned units tie the
    /// order to it: no segments).
    var pairFactory: [Int32]
    var pairExisting: [Int]
    var pairLast: [Int32]
    /// Per order: first day of its window and its price cap (`Int64.max` without one).
    var orderFirst: [Int32]
    var orderCap: [Int64]
    /// Per order: the number of its candidate segments (eligible slots).
    var segmentCount: [Int]
    /// Materialised candidate sets of the orders with few segments (nil for the others).
    var cachedSets: [CandidateSet?]
    /// Orders with at most this many segments get a cached ``CandidateSet``.
    static let cacheLimit = 2_048
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
    /// Pool groups of the orders (see ``Scheduling/PoolGroups``).
    var groups: Scheduling.PoolGroups
    /// Per slot: units of each pool group there that no movable allocation holds (pinned
    /// units and units from outside the problem); empty for slots of factories without a batch
    /// cost, where groups do not matter.
    var baseGroupUnits: [[(group: Int32, units: Int)]]
    /// Per slot: the outside units in `baseGroupUnits` alone (what the score does not charge).
    var outsideGroupUnits: [[(group: Int32, units: Int)]]
    /// The batch cost that pinned units add over the outside units, a constant of every plan.
    var pinnedBatchCost: Int64
    /// Per pool group: Σ of its orders' remaining quantities (what movable units it can have).
    var groupDemand: [Int]
    /// Per factory: the pool groups with base units in a slot of it whose last batch has room.
    var openGroupsOfFactory: [Set<Int32>]
    /// Whether any factory charges for batches.
    var hasBatchCost: Bool
    /// Whether some pool group has two or more orders (orders may then share batches).
    var sharesBatches: Bool

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

        factorySetup = factories.map(\.setupCost)
        factoryBatchCost = factories.map { max(0, $0.batchCost) }
        factoryBatchUnits = factories.map { max(0, $0.batchUnits ?? 0) }
        slotDay = slots.map(\.day.ordinal)
        slotPrice = slots.map(\.unitCost)
        let days = slotDay, prices = slotPrice
        factoryByPrice = byFactory.map { list in
            list.sorted { a, b in
                if prices[a] != prices[b] { return prices[a] < prices[b] }
                if days[a] != days[b] { return days[a] > days[b] }
                return a < b
            }.map { Int32($0) }
        }
        let byPriceLists = factoryByPrice
        let factoryOpen = factories.map { $0.offersCapability && $0.active }, factoryLead = factories.map(\.leadDays)
        pairStart = [0]
        pairStart.reserveCapacity(orders.count + 1)
        pairFactory = []; pairExisting = []; pairLast = []
        orderFirst = []; orderCap = []; segmentCount = []
        for (o, order) in orders.enumerated() {
            let first = max(order.releaseDate, problem.asOf).ordinal
            let cap = order.maxUnitCost ?? .max
            orderFirst.append(first)
            orderCap.append(cap)
            var allowedRegions = UInt64.max, requiredCerts: UInt64 = 0, impossible = false
            if masks {
                if !order.regions.isEmpty {
                    allowedRegions = order.regions.reduce(UInt64(0)) { $0 | (regionCode[$1].map { UInt64(1) << UInt64($0) } ?? 0) }
                }
                for c in order.certifications {
                    if let code = certCode[c] { requiredCerts |= UInt64(1) << UInt64(code) } else { impossible = true }
                }
            }
            var segments = 0
            for f in factories.indices {
                let pinnedHere = pinnedPairs[o].isEmpty ? 0 : pinnedPairs[o].first(where: { $0.factory == f })?.units ?? 0
                let allowed = masks
                    ? factoryOpen[f] && !impossible
                        && factoryRegion[f] & allowedRegions != 0 && factoryCerts[f] & requiredCerts == requiredCerts
                    : Scheduling.factoryExclusion(order: order, factory: factories[f]) == nil
                var count = 0
                let last = Int32(clamping: Int(order.dueDate.ordinal) - factoryLead[f])
                if allowed && cap == .max {
                    // Without a price cap the window alone decides: count it in the day-sorted list.
                    let list = byFactory[f]
                    func lowerBound(_ day: Int32) -> Int {
                        var lo = 0, hi = list.count
                        while lo < hi { let mid = (lo + hi) / 2; if days[list[mid]] < day { lo = mid + 1 } else { hi = mid } }
                        return lo
                    }
                    if first <= last { count = lowerBound(last &+ 1) - lowerBound(first) }
                } else if allowed {
                    for s in byPriceLists[f] {
                        let day = days[Int(s)]
                        if day >= first && day <= last && prices[Int(s)] <= cap { count += 1 }
                    }
                }
                if count > 0 || pinnedHere > 0 {
                    pairFactory.append(Int32(f))
                    pairExisting.append(pinnedHere)
                    pairLast.append(count > 0 ? last : .min)
                    segments += count
                }
            }
            pairStart.append(pairFactory.count)
            segmentCount.append(segments)
        }
        cachedSets = []
        startMovable = [[Scheduling.SlotUnits]](repeating: [], count: orders.count)
        for a in Scheduling.canonical(valid.filter { !$0.pinned }) where problem.isEligible(order: a.order, slot: a.slot) {
            startMovable[a.order].append(Scheduling.SlotUnits(slot: a.slot, units: a.units))
        }
        lotToKeep = []
        for o in orders.indices {
            let base = pairStart[o], count = pairStart[o + 1] - base
            var keep = [Bool](repeating: false, count: count)
            for i in 0..<count where pairExisting[base + i] > 0 && pairExisting[base + i] < orders[o].minLot {
                let f = Int(pairFactory[base + i])
                let movable = startMovable[o].reduce(0) { $0 + (slots[$1.slot].factory == f ? $1.units : 0) }
                keep[i] = pairExisting[base + i] + movable >= orders[o].minLot
            }
            lotToKeep.append(keep)
        }
        groups = Scheduling.PoolGroups(orders)
        hasBatchCost = factories.contains { $0.batchCost > 0 }
        sharesBatches = hasBatchCost && groups.members.contains { $0.count > 1 }
        baseGroupUnits = [[(group: Int32, units: Int)]](repeating: [], count: slots.count)
        outsideGroupUnits = baseGroupUnits
        pinnedBatchCost = 0
        groupDemand = [Int](repeating: 0, count: groups.count)
        openGroupsOfFactory = [Set<Int32>](repeating: [], count: factories.count)
        if hasBatchCost { indexGroups() }
        for o in orders.indices {
            cachedSets.append(segmentCount[o] <= Self.cacheLimit ? buildSet(o) : nil)
        }
    }
}
