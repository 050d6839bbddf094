/// Reading the compact candidate lists of a ``ProblemIndex`` (see its documentation).
extension ProblemIndex {
    /// The candidate sets of all orders as a collection; each element is built on access
    /// unless cached, so hot loops use the pair accessors below instead.
    struct Candidates: RandomAccessCollection {
        let index: ProblemIndex
        var startIndex: Int { 0 }
        var endIndex: Int { index.pairStart.count - 1 }
        subscript(o: Int) -> CandidateSet { index.candidateSet(o) }
    }

    /// Candidate factories (pairs) of order o.
    @inline(__always)
    func pairs(_ o: Int) -> Range<Int> { pairStart[o]..<pairStart[o + 1] }

    /// Total number of (order, candidate factory) pairs.
    var pairCount: Int { pairFactory.count }

    /// Calls `body` with each segment (slot) of pair `p` of order `o`, cheapest first (unit
    /// cost, later day first, slot index): the factory's price-sorted slots inside the window.
    @inline(__always)
    func forEachSegment(_ o: Int, pair p: Int, _ body: (Int) -> Void) {
        let last = pairLast[p]
        guard last != .min else { return }
        let first = orderFirst[o], cap = orderCap[o]
        factoryByPrice[Int(pairFactory[p])].withUnsafeBufferPointer { list in
            for s32 in list {
                let s = Int(s32)
                let day = slotDay[s]
                if day >= first && day <= last && slotPrice[s] <= cap { body(s) }
            }
        }
    }

    /// Calls `body` with every candidate slot of order o (from the cached set when there is one).
    @inline(__always)
    func forEachCandidateSlot(_ o: Int, _ body: (Int) -> Void) {
        if let cached = cachedSets[o] {
            for s in cached.segSlot { body(s) }
        } else {
            for p in pairs(o) { forEachSegment(o, pair: p, body) }
        }
    }

    /// The order's candidate set (cached, or built now).
    func candidateSet(_ o: Int) -> CandidateSet {
        if let cached = cachedSets[o] { return cached }
        return buildSet(o)
    }

    /// Builds the candidate set of order o, or of the pairs `only` of it (positions within the
    /// order's pairs, ascending) when given.
    func buildSet(_ o: Int, only: [Int]? = nil) -> CandidateSet {
        var set = CandidateSet()
        let base = pairStart[o]
        let chosen = only ?? Array(0..<(pairStart[o + 1] - base))
        set.factory.reserveCapacity(chosen.count)
        for i in chosen {
            let p = base + i
            let f = Int(pairFactory[p])
            set.factory.append(f)
            set.setup.append(factorySetup[f])
            set.existing.append(pairExisting[p])
            set.batchCost.append(factoryBatchCost[f])
            set.batchUnits.append(factoryBatchUnits[f])
            forEachSegment(o, pair: p) { s in
                set.segSlot.append(s)
                set.segPrice.append(slotPrice[s])
            }
            set.segStart.append(set.segSlot.count)
        }
        return set
    }

    /// Position of factory f among order o's pairs, if it is a candidate.
    func pairPosition(_ o: Int, factory f: Int) -> Int? {
        let base = pairStart[o]
        for p in pairs(o) where Int(pairFactory[p]) == f { return p - base }
        return nil
    }
}
