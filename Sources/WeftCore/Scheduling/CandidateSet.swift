/// The candidate slots of one order, grouped by factory, in the flat layout the placement
/// engine reads. Static for an order during a run (only the free units change), so the solver
/// builds it once per order.
struct CandidateSet: Sendable {
    /// Problem factory index of each candidate factory.
    var factory: [Int] = []
    /// Setup cost of each candidate factory.
    var setup: [Int64] = []
    /// Units the order already holds there and keeps (pinned, or kept by the caller). A factory
    /// with such units is "forced": it counts towards `max_factories`, its setup is sunk and its
    /// total must still reach `min_lot`.
    var existing: [Int] = []
    /// Batch cost and batch size of each candidate factory (size 0: unlimited). A factory with
    /// batch cost 0 prices units exactly as without pooling.
    var batchCost: [Int64] = []
    var batchUnits: [Int] = []
    /// Segments of candidate factory `i` are `segStart[i] ..< segStart[i + 1]`, sorted by unit
    /// cost, then later day first (equal-cost ties leave early capacity to urgent orders).
    var segStart: [Int] = [0]
    var segSlot: [Int] = []
    var segPrice: [Int64] = []

    var count: Int { factory.count }

    /// Whether any candidate factory charges for batches (then placement needs the pooled engine).
    var hasBatchCost: Bool { batchCost.contains { $0 > 0 } }

    /// A copy with each factory's unit costs and setup cost multiplied by random factors in
    /// [1 − amount, 1 + amount] (one per factory and kind, so each factory's segments stay in
    /// order and nothing needs re-sorting): placing with it yields a plan that is near-best for
    /// the order but not always the same one (noise for the search).
    func perturbed(_ rng: inout Scheduling.SeededRandom, amount: Double) -> CandidateSet {
        var copy = self
        for f in 0..<count {
            copy.setup[f] = max(0, Int64((Double(setup[f]) * (1 + amount * (2 * rng.unit() - 1))).rounded()))
            let factor = 1 + amount * (2 * rng.unit() - 1)
            for i in segStart[f]..<segStart[f + 1] { copy.segPrice[i] = max(0, Int64((Double(segPrice[i]) * factor).rounded())) }
        }
        return copy
    }

    mutating func addFactory(factory f: Int, setup s: Int64, existing e: Int, batchCost b: Int64 = 0, batchUnits u: Int? = nil,
                             slots: [(slot: Int, price: Int64, day: Day)]) {
        factory.append(f)
        setup.append(s)
        existing.append(e)
        batchCost.append(max(0, b))
        batchUnits.append(max(0, u ?? 0))
        let sorted = slots.sorted { a, b in
            if a.price != b.price { return a.price < b.price }
            if a.day != b.day { return a.day > b.day }
            return a.slot < b.slot
        }
        for item in sorted {
            segSlot.append(item.slot)
            segPrice.append(item.price)
        }
        segStart.append(segSlot.count)
    }
}

/// Why a single-order placement serves less than asked.
public enum ShortfallCause: String, Sendable, Hashable, Codable {
    /// Every usable eligible unit is taken (or there is none).
    case capacity
    /// More could be served by splitting across more than `max_factories` factories.
    case splitLimit = "split_limit"
    /// More could be served if factories with fewer than `min_lot` free units could be used
    /// (or if lots could be smaller than `min_lot`).
    case minimumLot = "minimum_lot"
}

/// Sets `array` to `count` zeros, reusing its storage (the engine runs thousands of times a
/// second; fresh arrays each time would mostly measure malloc).
@inline(__always)
func reset<T: Numeric>(_ array: inout [T], count: Int) {
    if array.count == count {
        for i in 0..<count { array[i] = 0 }
    } else {
        array.removeAll(keepingCapacity: true)
        array.append(contentsOf: repeatElement(0, count: count))
    }
}
