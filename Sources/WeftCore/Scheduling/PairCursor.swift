/// A place in one (order, factory) pair's price-sorted slot list, keyed for a min-heap
/// (swift-collections' `Heap`): the greedy fill and the Lagrangian bound both merge an order's
/// pair lists cheapest first this way. Ties on `key` break by pair, then position, so the
/// merge order is deterministic.
struct PairCursor: Comparable {
    var key: Int64
    var pair: Int32
    var pos: Int32

    static func < (a: PairCursor, b: PairCursor) -> Bool {
        (a.key, a.pair, a.pos) < (b.key, b.pair, b.pos)
    }
}
