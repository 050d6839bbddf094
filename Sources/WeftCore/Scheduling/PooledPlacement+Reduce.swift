/// Exact single-order placement with batch costs on wide candidate sets: three exact reductions
/// in front of ``PooledPlacementEngine``, whose branch and bound is then run on what is left
/// (often nothing).
///
/// Slot s of a factory with batch cost b and batch size B (∞ when unlimited) costs the order
/// `c_s(x) = p_s·x + b·(⌈(x − r_s)⁺ / B⌉)` for x units, where r_s is the free room of the batch
/// of its pool group already open there (see ``PooledPlacementEngine``).
///
/// 1. **Dominated slots.** In factory f let U_f = min(quantity, free units of f): no plan puts
///    more there. Let t be f's cheapest slot (by unit cost, in the candidate order) with at
///    least U_f free units. For any other slot s with p_s ≥ p_t, moving the units a plan puts
///    in s beyond its room r_s into t never costs more: the unit cost does not rise, t's
///    batches rise by at most ⌈d / B⌉ for d units moved (⌈(a + d)⁺/B⌉ ≤ ⌈a⁺/B⌉ + ⌈d/B⌉) while
///    s's fall by ⌈d / B⌉, t has room for everything f makes, and f's units (lots, split
///    limit, setup) do not change. So such a slot only ever needs its room: its capacity is
///    cut to r_s and it can no longer open a batch. Usually only t and a few cheaper, smaller
///    slots per factory keep a batch decision.
/// 2. **Incumbents.** Two plans serving the most units T*: the plain engine on the reduced
///    capacities (batch costs ignored), and the plain engine on a copy where each slot's units
///    beyond its room cost p_s + ⌈b / min(B, units beyond)⌉ (the batch spread over what one
///    batch of this order can hold). Both are priced at their true cost; the cheaper is kept.
/// 3. **Factories that cannot help.** L₀, the cheapest T* units when room units cost p_s and
///    units beyond the room p_s + b / min(B, units beyond) (every batch opened holds at most
///    that many of the order's units), is a lower bound on the unit and batch cost of any plan
///    serving T*. A plan using a factory f pays f's setup (0 if the order already uses f) and
///    either uses f alone, costing at least setup_f + L₀(f) (L₀ over f's slots only), or one
///    more factory, costing at least setup_f + L₀ + the least setup of another factory. A
///    factory whose bound exceeds incumbent − 1 (costs are whole numbers) is in no cheaper plan
///    and is dropped.
///
/// The branch and bound then searches the kept factories and slots for a plan cheaper than the
/// incumbent. Nothing is lost by the reductions; the result is exact unless that search
/// reaches its node limit (it then says so and reports its proven bound, as before).
struct ReducedPooledPlacement {
    private var exactEngine = PooledPlacementEngine()
    private var plain = PlacementEngine()
    private var segFree: [Int] = []
    private var cap: [Int] = []
    private var room: [Int] = []
    private var factoryOfSeg: [Int] = []
    private var local = CandidateSet()
    private var items: [(price: Double, units: Int)] = []
    private var curve: [Int64] = []
    private var curveExact: [Int] = []
    private var leastCurve: [Int64] = [], secondCurve: [Int64] = []
    private var leastOwner: [Int] = []
    private var pairBound: [Int64] = []
    private var l0Prefix: [Double] = []
    /// C₂, C₃ (see ``spreadCurves(width:lot:maxOthers:)``), built when first needed.
    private var spread: [[Int64]] = []
    static let infinite = Int64.max / 4
    /// Most cells (candidate factories × (units + 1)) the cost curves may take.
    static let curveCells = 400_000
    /// Most steps the min-plus convolutions C₂, C₃ may take (about width² / 2 each): beyond it
    /// (orders of a few thousand units and more) a weaker bound by L₀ stands in for them.
    /// Without it one order of 30,000 units took 10⁹ steps (seconds in a release build, minutes
    /// in a debug one: the pooled demo's injection moulding orders).
    static let convolutionBudget = 8_000_000

    /// Steps of ``spreadCurves(width:lot:maxOthers:)``: C₂ … C_maxOthers over `width` units.
    static func convolutionWork(width: Int, lot: Int, maxOthers: Int) -> Int {
        let span = max(0, width - 2 * lot)
        return span * span / 2 * max(0, maxOthers - 1)
    }
    private var decisionSegs: [Int] = []
    private var opened: [Int] = []
    private var singleTake: [Int] = []
    private var trial: [Int] = []

    private(set) var served = 0
    private(set) var cost: Int64 = 0
    private(set) var exact = true
    private(set) var lowerBound: Int64 = 0
    private(set) var exploredNodes = 0
    private(set) var cause: ShortfallCause? = nil
    private(set) var take: [Int] = []
    private(set) var usedNew: [Int] = []

    init() {}

    mutating func solve(_ given: CandidateSet, free: UnsafeBufferPointer<Int>, groupUnits: [Int], quantity: Int,
                        minLot: Int, maxFactories: Int, nodeLimit: Int = 50_000) {
        // Batches of one unit are a unit cost: such a factory is a plain one at unit cost + batch
        // cost (no decision left; its segments keep their order).
        var cands = given
        for f in 0..<cands.count where cands.batchCost[f] > 0 && cands.batchUnits[f] == 1 {
            for i in cands.segStart[f]..<cands.segStart[f + 1] { cands.segPrice[i] += cands.batchCost[f] }
            cands.batchCost[f] = 0
        }
        let segCount = cands.segSlot.count
        let q = max(0, quantity)
        segFree.removeAll(keepingCapacity: true)
        for i in 0..<segCount { segFree.append(max(0, free[cands.segSlot[i]])) }
        reset(&factoryOfSeg, count: segCount)
        for f in 0..<cands.count { for i in cands.segStart[f]..<cands.segStart[f + 1] { factoryOfSeg[i] = f } }
        reset(&room, count: segCount)
        for i in 0..<segCount {
            let f = factoryOfSeg[i]
            if cands.batchCost[f] == 0 { room[i] = segFree[i]; continue }
            let y0 = max(0, i < groupUnits.count ? groupUnits[i] : 0), size = cands.batchUnits[f]
            let open = size == 0 ? (y0 > 0 ? segFree[i] : 0) : (y0 % size == 0 ? 0 : size - y0 % size)
            room[i] = min(open, segFree[i])
        }
        // 1. Dominated slots keep only their room.
        cap = segFree
        for f in 0..<cands.count where cands.batchCost[f] > 0 {
            let range = cands.segStart[f]..<cands.segStart[f + 1]
            var avail = 0
            for i in range { avail += segFree[i] }
            let most = min(q, avail)
            guard most > 0, let t = range.first(where: { segFree[$0] >= most }) else { continue }
            for i in range where i > t { cap[i] = min(segFree[i], room[i]) }
        }

        // 2. Incumbents. The first also gives the most units T* (the caps keep at least
        //    min(quantity, free) units per factory, so T* is the one on the full free units).
        local = cands
        local.segSlot = Array(0..<segCount)
        cap.withUnsafeBufferPointer { caps in
            plain.solve(local, free: caps, quantity: q, minLot: minLot, maxFactories: maxFactories, nodeLimit: nodeLimit)
        }
        exploredNodes = plain.exploredNodes
        served = plain.served
        cause = plain.cause
        reset(&take, count: segCount)
        usedNew = []
        let target = served
        guard target > 0 else { cost = 0; exact = true; lowerBound = 0; return }
        var best = plain.take
        var bestNew = plain.usedNew
        var bestCost = trueCost(cands, best, groupUnits: groupUnits, plainCost: plain.cost)
        // Singles and pairs come exactly from the curves below; these find plans over more.
        if maxFactories >= 3, let (spreadTake, spreadNew) = spreadPlan(cands, quantity: q, minLot: minLot, maxFactories: maxFactories, nodeLimit: nodeLimit),
           spreadTake.reduce(0, +) == target {
            let c = trueCost(cands, spreadTake, groupUnits: groupUnits, plainCost: nil)
            if c < bestCost { bestCost = c; best = spreadTake; bestNew = spreadNew }
        }

        // (Not with a factory the order already uses: cut to the rooms, its lot might not fit
        // and the plain engine would waive it.)
        if maxFactories >= 3, !cands.existing.contains(where: { $0 > 0 }), let (roomTake, roomNew) = roomPlan(cands, quantity: q, minLot: minLot, maxFactories: maxFactories, nodeLimit: nodeLimit),
           roomTake.reduce(0, +) == target {
            let c = trueCost(cands, roomTake, groupUnits: groupUnits, plainCost: nil)
            if c < bestCost { bestCost = c; best = roomTake; bestNew = roomNew }
        }
        // Exact cost curves per factory: H_f(r) = setup + least cost of r units in f alone.
        let l0 = unitBatchBound(cands, target: target)
        let noneForced = !cands.existing.contains { $0 > 0 }
        // The curves take (factories × units) memory and time: for a large order over many
        // factories only the cheap test by L₀ and setup below is made.
        let width = cands.count * (target + 1) <= Self.curveCells ? target + 1 : 1
        if width == 1 {
            let cut = Double(bestCost) - 1 + 1e-9 * max(1, abs(Double(bestCost))) + 1e-6
            let kept = (0..<cands.count).filter { f in
                cands.existing[f] > 0 || l0 + Double(cands.setup[f]) <= cut
            }
            search(cands, kept: kept, groupUnits: groupUnits, quantity: q, minLot: minLot, maxFactories: maxFactories,
                   nodeLimit: nodeLimit, l0: l0, best: best, bestNew: bestNew, bestCost: bestCost)
            return
        }
        reset(&curve, count: cands.count * width)
        reset(&curveExact, count: cands.count)
        // A factory whose setup alone lifts L₀ past the incumbent is in no cheaper plan: its
        // curve stays infinite (and it takes no part in the pairs either).
        let firstCut = Double(bestCost) - 1 + 1e-9 * max(1, abs(Double(bestCost))) + 1e-6
        for f in 0..<cands.count {
            let setup = cands.existing[f] > 0 ? 0 : cands.setup[f]
            if l0 + Double(setup) > firstCut {
                for r in 1..<width { curve[f * width + r] = Self.infinite }
                curveExact[f] = 1
                continue
            }
            curveExact[f] = factoryCurve(cands, f, target: target, base: f * width) ? 1 : 0
        }
        // Incumbents from the curves: the best single factory, the best pair.
        var pairChoice: (f: Int, g: Int, k: Int)? = nil
        var singleChoice: Int? = nil
        var incumbent = bestCost
        if noneForced && target >= max(1, minLot) {
            for f in 0..<cands.count where curveExact[f] == 1 && curve[f * width + target] < incumbent {
                incumbent = curve[f * width + target]; singleChoice = f; pairChoice = nil
            }
        }
        // Least and second least H over factories for each r (for pairs).
        reset(&leastCurve, count: width); reset(&leastOwner, count: width); reset(&secondCurve, count: width)
        for r in 0..<width {
            var a = Self.infinite, owner = -1, b2 = Self.infinite
            for f in 0..<cands.count {
                let h = curve[f * width + r]
                if h < a { b2 = a; a = h; owner = f } else if h < b2 { b2 = h }
            }
            leastCurve[r] = a; leastOwner[r] = owner; secondCurve[r] = b2
        }
        // The five least setups a plan can add (0 for a factory already used).
        var least: [Int64] = []
        for f in 0..<cands.count {
            least.append(cands.existing[f] > 0 ? 0 : cands.setup[f])
            least.sort()
            if least.count > 5 { least.removeLast() }
        }
        spread.removeAll(keepingCapacity: true)
        // Every factory a plan newly uses makes at least a lot; a factory the order already uses
        // may get fewer new units, so with one the bounds below assume lots of 1.
        let lot = noneForced ? max(1, minLot) : 1
        reset(&pairBound, count: cands.count)
        for f in 0..<cands.count {
            var bestPair = Self.infinite
            if maxFactories >= 2 && target >= 2 * lot {
                for k in lot...(target - lot) {
                    let mine = curve[f * width + k]
                    guard mine < Self.infinite else { break }
                    let rest = leastOwner[target - k] == f ? secondCurve[target - k] : leastCurve[target - k]
                    guard rest < Self.infinite else { continue }
                    if mine + rest < bestPair {
                        bestPair = mine + rest
                        if noneForced && curveExact[f] == 1 && bestPair < incumbent {
                            let g = leastOwner[target - k] == f ? -1 : leastOwner[target - k]
                            if g >= 0 && curveExact[g] == 1 { incumbent = bestPair; pairChoice = (f, g, k); singleChoice = nil }
                        }
                    }
                }
            }
            pairBound[f] = bestPair
        }
        if let f = singleChoice, let c = singleFactory(cands, f, target: target, groupUnits: groupUnits), c + cands.setup[f] < bestCost {
            bestCost = c + cands.setup[f]; best = singleTake; bestNew = [f]
        } else if let (f, g, k) = pairChoice, let cf = singleFactory(cands, f, target: k, groupUnits: groupUnits) {
            var both = singleTake
            if let cg = singleFactory(cands, g, target: target - k, groupUnits: groupUnits), cf + cg + cands.setup[f] + cands.setup[g] < bestCost {
                for i in cands.segStart[g]..<cands.segStart[g + 1] { both[i] = singleTake[i] }
                bestCost = cf + cg + cands.setup[f] + cands.setup[g]; best = both; bestNew = [f, g].sorted()
            }
        }

        // 3. Drop factories that cannot be in a cheaper plan.
        let cut = Double(bestCost) - 1 + 1e-9 * max(1, abs(Double(bestCost))) + 1e-6
        var kept: [Int] = []
        for f in 0..<cands.count {
            let setup = cands.existing[f] > 0 ? 0 : cands.setup[f]
            // Alone, with one other factory (both by the curves), or with two or more others.
            var bound = Double(curve[f * width + target])
            if pairBound[f] < Self.infinite { bound = min(bound, Double(pairBound[f])) }
            if maxFactories >= 3 && target >= 3 * lot && bound > cut {
                // k units in f (H_f(k), setup included), the rest over two or three other
                // factories: at least C₂ or C₃ of the rest (see below); over four or more: at least
                // their four least setups and L₀ of the rest.
                let maxOthers = min(3, maxFactories - 1)
                var most = Double.infinity
                if Self.convolutionWork(width: width, lot: lot, maxOthers: maxOthers) <= Self.convolutionBudget {
                    if spread.isEmpty { spreadCurves(width: width, lot: lot, maxOthers: maxOthers) }
                    for k in lot...(target - 2 * lot) {
                        let mine = curve[f * width + k]
                        guard mine < Self.infinite else { break }
                        for m in 0..<spread.count where spread[m][target - k] < Self.infinite {
                            most = min(most, Double(mine + spread[m][target - k]))
                        }
                    }
                } else if least.count >= 3 {
                    // Convolutions too long for a large order (quadratic in its units): the two
                    // or three others make the rest for at least its L₀ plus the two least
                    // setups of the network (any two factories' setups add up to no less).
                    // Weaker, still valid: it can only keep more factories for the search.
                    let two = Double(least[0] + least[1])
                    for k in lot...(target - 2 * lot) {
                        let mine = curve[f * width + k]
                        guard mine < Self.infinite else { break }
                        most = min(most, Double(mine) + l0Prefix[target - k] + two)
                    }
                }
                if maxFactories >= 5 && target >= 5 * lot && least.count >= 5 {
                    let others = least.count >= 5 ? (setup <= least[3] ? least[0...4].reduce(0, +) - setup : least[0...3].reduce(0, +)) : 0
                    for k in lot...(target - 4 * lot) {
                        let mine = curve[f * width + k]
                        guard mine < Self.infinite else { break }
                        most = min(most, Double(mine) + l0Prefix[target - k] + Double(others))
                    }
                }
                bound = min(bound, most)
            }
            // A factory the order already uses stays: it counts towards the split limit and its
            // lot may need completing, whatever it costs.
            if bound <= cut || cands.existing[f] > 0 { kept.append(f) }
        }
        search(cands, kept: kept, groupUnits: groupUnits, quantity: q, minLot: minLot, maxFactories: maxFactories,
               nodeLimit: nodeLimit, l0: l0 <= cut ? l0 : .infinity, best: best, bestNew: bestNew, bestCost: bestCost)
    }

    /// C₂, C₃, …: with S(r) = min over factories of H(r) (r ≥ a lot, else infinite), C₂ = S ⊕ S
    /// and C_{m+1} = C_m ⊕ S (min-plus convolution): no m factories make r units for less than
    /// C_m(r), one factory counted as often as it likes. Fills `spread[m − 2]` for m up to
    /// `maxOthers`.
    private mutating func spreadCurves(width: Int, lot: Int, maxOthers: Int) {
        var single = [Int64](repeating: Self.infinite, count: width)
        for r in lot..<width { single[r] = leastCurve[r] }
        var previous = single
        var m = 2
        while m <= maxOthers {
            var next = [Int64](repeating: Self.infinite, count: width)
            for a in lot..<width where single[a] < Self.infinite {
                for r in (a + lot)..<max(a + lot, width) where previous[r - a] < Self.infinite {
                    let v = single[a] + previous[r - a]
                    if v < next[r] { next[r] = v }
                }
            }
            spread.append(next)
            previous = next
            m += 1
        }
        if spread.isEmpty { spread.append([Int64](repeating: Self.infinite, count: width)) }
    }

    /// Runs ``PooledPlacementEngine`` over the kept factories (their reduced slots) for a plan
    /// cheaper than the incumbent `best`, and stores the result. `l0` = +inf: none can be cheaper.
    private mutating func search(_ cands: CandidateSet, kept: [Int], groupUnits: [Int], quantity q: Int, minLot: Int, maxFactories: Int,
                                 nodeLimit: Int, l0: Double, best: [Int], bestNew: [Int], bestCost: Int64) {
        var best = best, bestNew = bestNew, bestCost = bestCost
        let target = served
        var innerExact = true
        var innerBound = bestCost
        var subFree: [Int] = [], subGroup: [Int] = [], origin: [Int] = []
        var sub = CandidateSet()
        for f in kept {
            sub.factory.append(cands.factory[f])
            sub.setup.append(cands.setup[f])
            sub.existing.append(cands.existing[f])
            sub.batchCost.append(cands.batchCost[f])
            sub.batchUnits.append(cands.batchUnits[f])
            for i in cands.segStart[f]..<cands.segStart[f + 1] where cap[i] > 0 {
                sub.segSlot.append(subFree.count)
                sub.segPrice.append(cands.segPrice[i])
                subFree.append(cap[i])
                subGroup.append(i < groupUnits.count ? groupUnits[i] : 0)
                origin.append(i)
            }
            sub.segStart.append(sub.segSlot.count)
        }
        // Only worth searching if a plan cheaper than the incumbent may exist.
        if !kept.isEmpty && l0 < .infinity {
            subFree.withUnsafeBufferPointer { buffer in
                exactEngine.solve(sub, free: buffer, groupUnits: subGroup, quantity: q, minLot: minLot,
                                  maxFactories: maxFactories, nodeLimit: nodeLimit, incumbent: bestCost)
            }
            exploredNodes += exactEngine.exploredNodes
            // Fewer units in the kept part: no plan serving T* is cheaper than the incumbent.
            if exactEngine.served == target {
                if exactEngine.improved {
                    bestCost = exactEngine.cost
                    reset(&best, count: cands.segSlot.count)
                    for (k, units) in exactEngine.take.enumerated() where units > 0 { best[origin[k]] += units }
                    bestNew = exactEngine.usedNew.map { kept[$0] }.sorted()
                }
                if !exactEngine.exact { innerExact = false; innerBound = exactEngine.lowerBound }
            }
        }
        take = best
        usedNew = bestNew
        cost = bestCost
        exact = innerExact
        lowerBound = exact ? bestCost : min(bestCost, innerBound)
    }

    /// The cheapest way to make `target` units in factory f alone, without its setup: over every
    /// choice of new batches in its slots that can open one (at most 64 choices, else nil), the
    /// cheapest units within the capacities that choice gives. The plan is left in `singleTake`.
    private mutating func singleFactory(_ cands: CandidateSet, _ f: Int, target: Int, groupUnits: [Int]) -> Int64? {
        let range = cands.segStart[f]..<cands.segStart[f + 1]
        var total = 0
        for i in range { total += cap[i] }
        guard total >= target else { return nil }
        let b = cands.batchCost[f], size = cands.batchUnits[f]
        decisionSegs.removeAll(keepingCapacity: true)
        var choices = 1
        if b > 0 {
            for i in range where cap[i] > room[i] {
                let beyond = min(cap[i], target) - room[i]
                guard beyond > 0 else { continue }
                let most = size == 0 ? 1 : (beyond + size - 1) / size
                choices *= most + 1
                guard choices <= 64 else { return nil }
                decisionSegs.append(i)
            }
        }
        reset(&opened, count: decisionSegs.count)
        var bestUnits = Int64.max
        reset(&singleTake, count: cap.count)
        reset(&trial, count: cap.count)
        while true {
            // Capacities of this choice, then the cheapest target units (segments are in price order).
            var left = target, units: Int64 = 0
            var k = 0
            for i in range {
                var c = cap[i]
                if b > 0 {
                    if k < decisionSegs.count && decisionSegs[k] == i {
                        let n = opened[k]
                        c = size == 0 ? (n > 0 ? cap[i] : room[i]) : min(cap[i], room[i] + n * size)
                        k += 1
                    } else {
                        c = min(cap[i], room[i])
                    }
                }
                let t = min(left, c)
                trial[i] = t
                units += Int64(t) * cands.segPrice[i]
                left -= t
            }
            if left == 0 {
                // Price what the take really opens (a choice may open more than it uses).
                var cost = units
                for i in range where trial[i] > 0 && b > 0 {
                    let bu = size == 0 ? nil : size
                    let y0 = max(0, i < groupUnits.count ? groupUnits[i] : 0)
                    cost += Int64(Scheduling.batchCount(units: y0 + trial[i], batchUnits: bu) - Scheduling.batchCount(units: y0, batchUnits: bu)) * b
                }
                if cost < bestUnits {
                    bestUnits = cost
                    for i in range { singleTake[i] = trial[i] }
                }
            }
            for i in range { trial[i] = 0 }
            // Next choice (odometer).
            var d = 0
            while d < decisionSegs.count {
                let beyond = min(cap[decisionSegs[d]], target) - room[decisionSegs[d]]
                let most = size == 0 ? 1 : (beyond + size - 1) / size
                if opened[d] < most { opened[d] += 1; break }
                opened[d] = 0
                d += 1
            }
            if d == decisionSegs.count { break }
        }
        return bestUnits == .max ? nil : bestUnits
    }

    /// Fills `curve[base + r]` for r in 0...target with H_f(r): f's setup (0 when the order
    /// already uses f) plus the least cost of r units in f alone, lots aside (infinite where f
    /// cannot make r). Exact over every choice of new batches (as ``singleFactory``) when there
    /// are at most 64 choices, and then returns true; otherwise a lower bound (units beyond a
    /// room priced with the batch spread over one batch, rounded down).
    private mutating func factoryCurve(_ cands: CandidateSet, _ f: Int, target: Int, base: Int) -> Bool {
        let range = cands.segStart[f]..<cands.segStart[f + 1]
        for r in 0...target { curve[base + r] = r == 0 ? 0 : Self.infinite }
        let b = cands.batchCost[f], size = cands.batchUnits[f]
        let setup = cands.existing[f] > 0 ? 0 : cands.setup[f]
        decisionSegs.removeAll(keepingCapacity: true)
        var choices = 1
        if b > 0 {
            for i in range where cap[i] > room[i] && min(cap[i], target) > room[i] {
                let beyond = min(cap[i], target) - room[i]
                choices *= (size == 0 ? 1 : (beyond + size - 1) / size) + 1
                decisionSegs.append(i)
                if choices > 64 { break }
            }
        }
        if choices > 64 {
            items.removeAll(keepingCapacity: true)
            for i in range where cap[i] > 0 {
                let p = Double(cands.segPrice[i])
                let inRoom = min(room[i], cap[i])
                if inRoom > 0 { items.append((p, inRoom)) }
                let beyond = min(cap[i], target) - inRoom
                if beyond > 0 { items.append((p + Double(b) / Double(batchSpan(cands, i, beyond: beyond)), beyond)) }
            }
            items.sort { $0.price < $1.price }
            var r = 0, total = 0.0
            for item in items {
                for _ in 0..<item.units where r < target {
                    r += 1; total += item.price
                    curve[base + r] = setup + Int64(max(0, (total - 1e-6).rounded(.down)))
                }
            }
            return false
        }
        reset(&opened, count: decisionSegs.count)
        while true {
            var batchTotal: Int64 = 0
            var r = 0, running: Int64 = 0, k = 0
            for i in range where r < target {
                var c = cap[i]
                if b > 0 {
                    if k < decisionSegs.count && decisionSegs[k] == i {
                        let n = opened[k]
                        batchTotal += Int64(n) * b
                        c = size == 0 ? (n > 0 ? cap[i] : room[i]) : min(cap[i], room[i] + n * size)
                        k += 1
                    } else {
                        c = min(cap[i], room[i])
                    }
                }
                let p = cands.segPrice[i]
                for _ in 0..<min(c, target - r) {
                    r += 1; running += p
                    let h = setup + running + batchTotal
                    if h < curve[base + r] { curve[base + r] = h }
                }
            }
            // Batches opened in segments after the walk stopped are still paid (a dearer choice).
            var d = 0
            while d < decisionSegs.count {
                let i = decisionSegs[d]
                let beyond = min(cap[i], target) - room[i]
                let most = size == 0 ? 1 : (beyond + size - 1) / size
                if opened[d] < most { opened[d] += 1; break }
                opened[d] = 0
                d += 1
            }
            if d == decisionSegs.count { break }
        }
        return true
    }

    /// The plain engine's plan on the free room of open batches only (and the units of
    /// factories without a batch cost): a plan that opens no batch, if one serves enough.
    private mutating func roomPlan(_ cands: CandidateSet, quantity: Int, minLot: Int, maxFactories: Int,
                                   nodeLimit: Int) -> ([Int], [Int])? {
        var roomCap = cap
        var any = false
        for i in 0..<roomCap.count where cands.batchCost[factoryOfSeg[i]] > 0 {
            roomCap[i] = min(cap[i], room[i])
            if roomCap[i] > 0 { any = true }
        }
        guard any else { return nil }
        roomCap.withUnsafeBufferPointer { caps in
            plain.solve(local, free: caps, quantity: quantity, minLot: minLot, maxFactories: maxFactories, nodeLimit: min(nodeLimit, 5_000))
        }
        exploredNodes += plain.exploredNodes
        return (plain.take, plain.usedNew)
    }

    /// A plan's true cost: units × unit costs, setups of newly used factories, the batches it adds.
    /// `plainCost` (units + setups, from the plain engine) saves recomputing that part.
    private func trueCost(_ cands: CandidateSet, _ take: [Int], groupUnits: [Int], plainCost: Int64?) -> Int64 {
        var total: Int64 = 0
        if let plainCost {
            total = plainCost
        } else {
            var used = [Bool](repeating: false, count: cands.count)
            for i in 0..<take.count where take[i] > 0 {
                total += Int64(take[i]) * cands.segPrice[i]
                used[factoryOfSeg[i]] = true
            }
            for f in 0..<cands.count where used[f] && cands.existing[f] == 0 { total += cands.setup[f] }
        }
        for i in 0..<take.count where take[i] > 0 {
            let f = factoryOfSeg[i]
            guard cands.batchCost[f] > 0 else { continue }
            let size = cands.batchUnits[f] == 0 ? nil : cands.batchUnits[f]
            let y0 = max(0, i < groupUnits.count ? groupUnits[i] : 0)
            total += Int64(Scheduling.batchCount(units: y0 + take[i], batchUnits: size)
                           - Scheduling.batchCount(units: y0, batchUnits: size)) * cands.batchCost[f]
        }
        return total
    }

    /// Units of slot i beyond its room that one new batch of this order can hold.
    private func batchSpan(_ cands: CandidateSet, _ i: Int, beyond: Int) -> Int {
        let size = cands.batchUnits[factoryOfSeg[i]]
        return size == 0 ? beyond : min(size, beyond)
    }

    /// The plain engine's plan when units beyond a slot's room carry their batch cost spread
    /// over one batch (rounded up): a good plan with batches, found in one plain search.
    private mutating func spreadPlan(_ cands: CandidateSet, quantity: Int, minLot: Int, maxFactories: Int,
                                     nodeLimit: Int) -> ([Int], [Int])? {
        var spread = CandidateSet()
        var virtualFree: [Int] = [], virtualSeg: [Int] = []
        var any = false
        for f in 0..<cands.count {
            var list: [(slot: Int, price: Int64, day: Day)] = []
            let b = cands.batchCost[f]
            for i in cands.segStart[f]..<cands.segStart[f + 1] where cap[i] > 0 {
                let inRoom = b > 0 ? min(room[i], cap[i]) : cap[i]
                if inRoom > 0 {
                    list.append((virtualFree.count, cands.segPrice[i], Day(ordinal: 0)))
                    virtualFree.append(inRoom); virtualSeg.append(i)
                }
                let beyond = cap[i] - inRoom
                if beyond > 0 {
                    any = true
                    let span = Int64(batchSpan(cands, i, beyond: min(beyond, quantity)))
                    list.append((virtualFree.count, cands.segPrice[i] + (b + span - 1) / span, Day(ordinal: 0)))
                    virtualFree.append(beyond); virtualSeg.append(i)
                }
            }
            spread.addFactory(factory: cands.factory[f], setup: cands.setup[f], existing: cands.existing[f], slots: list)
        }
        guard any else { return nil }
        virtualFree.withUnsafeBufferPointer { buffer in
            plain.solve(spread, free: buffer, quantity: quantity, minLot: minLot, maxFactories: maxFactories,
                        nodeLimit: min(nodeLimit, 5_000))
        }
        exploredNodes += plain.exploredNodes
        var result = [Int](repeating: 0, count: cands.segSlot.count)
        for k in 0..<plain.take.count where plain.take[k] > 0 { result[virtualSeg[spread.segSlot[k]]] += plain.take[k] }
        return (result, plain.usedNew)
    }

    /// L₀: the cheapest `target` units when room units cost their unit cost and units beyond a
    /// slot's room their unit cost plus the batch cost over the most units one batch holds.
    private mutating func unitBatchBound(_ cands: CandidateSet, target: Int) -> Double {
        items.removeAll(keepingCapacity: true)
        for i in 0..<cap.count where cap[i] > 0 {
            let f = factoryOfSeg[i]
            let p = Double(cands.segPrice[i])
            let b = cands.batchCost[f]
            let inRoom = b > 0 ? min(room[i], cap[i]) : cap[i]
            if inRoom > 0 { items.append((p, inRoom)) }
            let beyond = min(cap[i], target) - inRoom
            if beyond > 0 { items.append((p + Double(b) / Double(batchSpan(cands, i, beyond: beyond)), beyond)) }
        }
        items.sort { $0.price < $1.price }
        // Also L₀ of every smaller number of units (l0Prefix[r], +inf past what the slots hold).
        l0Prefix.removeAll(keepingCapacity: true)
        l0Prefix.append(0)
        var total = 0.0
        for item in items {
            for _ in 0..<item.units where l0Prefix.count <= target {
                total += item.price
                l0Prefix.append(total)
            }
            if l0Prefix.count > target { break }
        }
        while l0Prefix.count <= target { l0Prefix.append(.infinity) }
        return l0Prefix[target]
    }
}
