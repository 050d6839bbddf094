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
    /// Segments of candidate factory `i` are `segStart[i] ..< segStart[i + 1]`, sorted by unit
    /// cost, then later day first (equal-cost ties leave early capacity to urgent orders).
    var segStart: [Int] = [0]
    var segSlot: [Int] = []
    var segPrice: [Int64] = []

    var count: Int { factory.count }

    /// A copy with every unit cost and setup cost multiplied by a random factor in
    /// [1 − amount, 1 + amount], segments re-sorted: placing with it yields a plan that is
    /// near-best for the order but not always the same one (noise for the search).
    func perturbed(_ rng: inout Scheduling.SeededRandom, amount: Double) -> CandidateSet {
        var copy = self
        for f in 0..<count {
            copy.setup[f] = Int64((Double(setup[f]) * (1 + amount * (2 * rng.unit() - 1))).rounded())
            let range = segStart[f]..<segStart[f + 1]
            var items = range.map { (slot: segSlot[$0], price: Int64((Double(segPrice[$0]) * (1 + amount * (2 * rng.unit() - 1))).rounded())) }
            items.sort { $0.price != $1.price ? $0.price < $1.price : $0.slot > $1.slot }
            for (i, item) in items.enumerated() {
                copy.segSlot[range.lowerBound + i] = item.slot
                copy.segPrice[range.lowerBound + i] = max(0, item.price)
            }
        }
        return copy
    }

    mutating func addFactory(factory f: Int, setup s: Int64, existing e: Int, slots: [(slot: Int, price: Int64, day: Day)]) {
        factory.append(f)
        setup.append(s)
        existing.append(e)
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
