import HeapModule

/// A cost compared lexicographically: first `a`, then `b`. Pairs with componentwise addition
/// form an ordered abelian group, which is all that shortest paths with potentials need, so
/// min-cost flow with such costs optimises `a` first and `b` second — without a big-M weight
/// that could overflow.
struct LexCost: Comparable, Sendable {
    var a: Int64
    var b: Int64
    static let zero = LexCost(a: 0, b: 0)
    static let infinity = LexCost(a: .max, b: .max)
    @inline(__always) static func < (l: LexCost, r: LexCost) -> Bool { l.a != r.a ? l.a < r.a : l.b < r.b }
    @inline(__always) static func + (l: LexCost, r: LexCost) -> LexCost { LexCost(a: l.a &+ r.a, b: l.b &+ r.b) }
    @inline(__always) static func - (l: LexCost, r: LexCost) -> LexCost { LexCost(a: l.a &- r.a, b: l.b &- r.b) }
}

/// Min-cost flow by successive shortest paths (Dijkstra on reduced costs, node potentials),
/// for graphs whose only negative arcs leave the source of a layered DAG — the transportation
/// networks of the bound. It finds a flow of any value that minimises total cost: it augments
/// while the cheapest source–sink path has negative cost, which is optimal because the least
/// cost of a flow is convex in its value.
struct LexMinCostFlow {
    private(set) var nodeCount: Int
    private var head: [Int32]
    private var next: [Int32] = []
    private var to: [Int32] = []
    private(set) var cap: [Int] = []
    private var cost: [LexCost] = []

    init(nodes: Int) {
        nodeCount = nodes
        head = [Int32](repeating: -1, count: nodes)
    }

    var arcCount: Int { to.count }

    /// Adds arc u→v and its residual twin; returns the arc's index (the twin is index ^ 1).
    @discardableResult
    mutating func addArc(_ u: Int, _ v: Int, capacity: Int, cost c: LexCost) -> Int {
        let index = to.count
        to.append(Int32(v)); cap.append(capacity); cost.append(c); next.append(head[u]); head[u] = Int32(index)
        to.append(Int32(u)); cap.append(0); cost.append(LexCost.zero - c); next.append(head[v]); head[v] = Int32(index + 1)
        return index
    }

    /// Flow on arc `index` (as returned by `addArc`).
    func flow(_ index: Int) -> Int { cap[index ^ 1] }

    /// Runs the algorithm. `topological` lists the nodes so that every arc goes forward in it
    /// (used once, to compute exact initial potentials in the presence of negative arcs).
    /// Returns false if `shouldStop` asked to stop before optimality.
    mutating func solve(source: Int, sink: Int, topological: [Int], shouldStop: () -> Bool) -> Bool {
        let n = nodeCount
        // Initial potentials: shortest distances from the source over the DAG.
        var pi = [LexCost](repeating: .infinity, count: n)
        pi[source] = .zero
        for u in topological where pi[u] != .infinity {
            var e = head[u]
            while e >= 0 {
                let i = Int(e)
                if cap[i] > 0 {
                    let v = Int(to[i]), d = pi[u] + cost[i]
                    if d < pi[v] { pi[v] = d }
                }
                e = next[i]
            }
        }
        // Unreachable nodes can never become reachable (residual twins only point back towards
        // reached nodes), so any finite potential will do for them.
        for v in 0..<n where pi[v] == .infinity { pi[v] = .zero }

        var dist = [LexCost](repeating: .infinity, count: n)
        var parentArc = [Int32](repeating: -1, count: n)
        var done = [Bool](repeating: false, count: n)
        var touched: [Int32] = []
        var heap = Heap<LexEntry>()
        var rounds = 0
        while true {
            rounds += 1
            if rounds & 15 == 0 && shouldStop() { return false }
            // Dijkstra on reduced costs, stopped once the sink is settled.
            for v in touched { dist[Int(v)] = .infinity; parentArc[Int(v)] = -1; done[Int(v)] = false }
            touched.removeAll(keepingCapacity: true)
            heap = Heap()
            dist[source] = .zero; touched.append(Int32(source)); heap.insert(LexEntry(key: .zero, node: source))
            var sinkDist = LexCost.infinity
            while let entry = heap.popMin() {
                let (d, u) = (entry.key, entry.node)
                if done[u] || dist[u] < d { continue }
                done[u] = true
                if u == sink { sinkDist = d; break }
                var e = head[u]
                while e >= 0 {
                    let i = Int(e)
                    if cap[i] > 0 {
                        let v = Int(to[i])
                        if !done[v] {
                            let nd = d + cost[i] + pi[u] - pi[v]
                            if nd < dist[v] {
                                if dist[v] == .infinity { touched.append(Int32(v)) }
                                dist[v] = nd; parentArc[v] = Int32(i); heap.insert(LexEntry(key: nd, node: v))
                            }
                        }
                    }
                    e = next[i]
                }
            }
            if sinkDist == .infinity { return true }
            // Real cost of the path; stop when it no longer lowers the total.
            let real = sinkDist + pi[sink] - pi[source]
            if !(real < .zero) { return true }
            // Potentials: the textbook update adds min(dist, sinkDist) to every node, which keeps
            // all residual reduced costs non-negative. Shifting every potential by the same
            // constant changes no reduced cost, so subtract sinkDist throughout: only nodes
            // settled closer than the sink change, and untouched nodes need no visit.
            for v in touched {
                let i = Int(v)
                if done[i] && dist[i] < sinkDist { pi[i] = pi[i] + dist[i] - sinkDist }
            }
            var push = Int.max
            var v = sink
            while v != source { let a = Int(parentArc[v]); push = min(push, cap[a]); v = Int(to[a ^ 1]) }
            v = sink
            while v != source { let a = Int(parentArc[v]); cap[a] -= push; cap[a ^ 1] += push; v = Int(to[a ^ 1]) }
        }
    }
}

/// A Dijkstra queue entry: a tentative distance and its node, ordered by distance (then
/// node), kept in swift-collections' `Heap` with lazy deletion.
struct LexEntry: Comparable {
    var key: LexCost
    var node: Int
    static func < (l: LexEntry, r: LexEntry) -> Bool { l.key != r.key ? l.key < r.key : l.node < r.node }
}
