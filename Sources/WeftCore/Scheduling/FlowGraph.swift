/// A flow network with Dinic's maximum flow on it (incremental: it continues from the current
/// flow); minimum-cost flow is left to ``NetworkSimplex``. Arcs come in pairs: arc `i` and its residual twin `i ^ 1`. Iterative throughout (no deep recursion: the
/// solver runs on Dispatch threads with small stacks).
struct FlowGraph {
    let nodeCount: Int
    private(set) var to: [Int32] = []
    /// Residual capacity.
    var cap: [Int] = []
    private(set) var cost: [Int64] = []
    private var tail: [Int32] = []
    // Adjacency (CSR), built by `seal()`.
    private var adjStart: [Int] = []
    private var adj: [Int32] = []

    init(nodes: Int) { nodeCount = nodes }

    var arcCount: Int { to.count }

    @discardableResult
    mutating func addArc(_ u: Int, _ v: Int, capacity: Int, cost c: Int64 = 0) -> Int {
        let i = to.count
        to.append(Int32(v)); tail.append(Int32(u)); cap.append(capacity); cost.append(c)
        to.append(Int32(u)); tail.append(Int32(v)); cap.append(0); cost.append(-c)
        return i
    }

    /// Flow on arc i (as returned by `addArc`).
    func flow(_ i: Int) -> Int { cap[i ^ 1] }

    /// Builds the adjacency lists; call after the last `addArc`.
    mutating func seal() {
        var count = [Int](repeating: 0, count: nodeCount + 1)
        for t in tail { count[Int(t) + 1] += 1 }
        for v in 0..<nodeCount { count[v + 1] += count[v] }
        adjStart = count
        adj = [Int32](repeating: 0, count: tail.count)
        var fill = count
        for (i, t) in tail.enumerated() { adj[fill[Int(t)]] = Int32(i); fill[Int(t)] += 1 }
    }

    /// The forward arcs as parallel arrays (capacity = current residual capacity, i.e. the
    /// capacity when no flow has been sent), for ``NetworkSimplex``; arc k is arc 2k here.
    func forwardArcs() -> (source: [Int32], target: [Int32], capacity: [Int], cost: [Int64]) {
        let m = to.count / 2
        var s = [Int32](), t = [Int32](), c = [Int](), w = [Int64]()
        s.reserveCapacity(m); t.reserveCapacity(m); c.reserveCapacity(m); w.reserveCapacity(m)
        for k in 0..<m { s.append(tail[2 * k]); t.append(to[2 * k]); c.append(cap[2 * k]); w.append(cost[2 * k]) }
        return (s, t, c, w)
    }

    // MARK: Dinic

    /// Augments the current flow to a maximum s–t flow; returns the flow added, or nil if
    /// `shouldStop` said so.
    mutating func maxFlow(source s: Int, sink t: Int, shouldStop: () -> Bool) -> Int? {
        var added = 0
        var level = [Int32](repeating: -1, count: nodeCount)
        var current = [Int](repeating: 0, count: nodeCount)
        var queue = [Int32](repeating: 0, count: nodeCount)
        var pathArcs: [Int32] = []
        while true {
            if shouldStop() { return nil }
            // BFS levels on the residual graph.
            for v in 0..<nodeCount { level[v] = -1 }
            level[s] = 0
            var head = 0, tailIndex = 0
            queue[tailIndex] = Int32(s); tailIndex += 1
            while head < tailIndex {
                let u = Int(queue[head]); head += 1
                for k in adjStart[u]..<adjStart[u + 1] {
                    let a = Int(adj[k])
                    let v = Int(to[a])
                    if cap[a] > 0 && level[v] < 0 { level[v] = level[u] + 1; queue[tailIndex] = Int32(v); tailIndex += 1 }
                }
            }
            if level[t] < 0 { return added }
            for v in 0..<nodeCount { current[v] = adjStart[v] }
            // Blocking flow by iterative DFS with current-arc pointers.
            var paths = 0
            while true {
                paths += 1
                if paths & 255 == 0 && shouldStop() { return nil }
                pathArcs.removeAll(keepingCapacity: true)
                var u = s
                var found = false
                while true {
                    if u == t { found = true; break }
                    var advanced = false
                    while current[u] < adjStart[u + 1] {
                        let a = Int(adj[current[u]])
                        let v = Int(to[a])
                        if cap[a] > 0 && level[v] == level[u] + 1 {
                            pathArcs.append(Int32(a)); u = v; advanced = true; break
                        }
                        current[u] += 1
                    }
                    if advanced { continue }
                    // Dead end: retreat.
                    if u == s { break }
                    level[u] = -1
                    let a = Int(pathArcs.removeLast())
                    u = Int(tail[a])
                    current[u] += 1
                }
                if !found { break }
                var push = Int.max
                for a in pathArcs { push = min(push, cap[Int(a)]) }
                for a in pathArcs { cap[Int(a)] -= push; cap[Int(a) ^ 1] += push }
                added += push
            }
        }
    }
}
