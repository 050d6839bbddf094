/// Primal network simplex for minimum-cost flow with exact supplies (Σ supply = 0), with a
/// block-search pivot rule. The spanning-tree bookkeeping (parent, thread, reverse thread,
/// subtree sizes, last successors) follows the structure of LEMON's NetworkSimplex, which is
/// known to be among the fastest codes for transportation-like networks.
///
/// Start: an artificial root joined to every node by an artificial arc carrying its supply;
/// arcs into the root cost 0, arcs out of it cost more than any real path, so a feasible
/// problem ends with no artificial flow.
final class NetworkSimplex {
    private let nodeCount: Int
    private let arcCount: Int          // real arcs
    private let source: UnsafeMutablePointer<Int32>
    private let target: UnsafeMutablePointer<Int32>
    private let cap: UnsafeMutablePointer<Int>
    private let cost: UnsafeMutablePointer<Int64>
    private let flowStorage: UnsafeMutablePointer<Int>
    private let state: UnsafeMutablePointer<Int8>   // 1: at lower bound, -1: at upper bound, 0: in the tree

    private let parent: UnsafeMutablePointer<Int32>
    private let pred: UnsafeMutablePointer<Int32>
    private let predDir: UnsafeMutablePointer<Int8>   // 1: pred arc goes up (node is its source), -1: down
    private let thread: UnsafeMutablePointer<Int32>
    private let revThread: UnsafeMutablePointer<Int32>
    private let succNum: UnsafeMutablePointer<Int32>
    private let lastSucc: UnsafeMutablePointer<Int32>
    private let pi: UnsafeMutablePointer<Int64>
    private var dirtyRevs: [Int32] = []

    private var inArc = 0, join = 0, uIn = 0, vIn = 0, uOut = 0, vOut = 0
    private var delta = 0
    private var nextArc = 0
    private let blockSize: Int
    private static let infinity = Int.max / 4

    /// `arcs` are (source, target, capacity, cost); `supply` per node.
    init(nodes: Int, source: [Int32], target: [Int32], capacity: [Int], cost: [Int64], supply: [Int]) {
        // Raw buffers: the pivot loops run millions of times and must not pay for bounds or
        // uniqueness checks. Freed in deinit.
        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: count)
            p.initialize(repeating: value, count: count)
            return p
        }
        nodeCount = nodes
        arcCount = source.count
        let all = arcCount + nodes
        self.source = buffer(all, 0); self.target = buffer(all, 0)
        self.cap = buffer(all, 0); self.cost = buffer(all, 0)
        for i in 0..<arcCount {
            self.source[i] = source[i]; self.target[i] = target[i]; self.cap[i] = capacity[i]; self.cost[i] = cost[i]
        }
        flowStorage = buffer(all, 0)
        state = buffer(all, 1)
        let root = nodes
        parent = buffer(nodes + 1, -1)
        pred = buffer(nodes + 1, -1)
        predDir = buffer(nodes + 1, 0)
        thread = buffer(nodes + 1, 0)
        revThread = buffer(nodes + 1, 0)
        succNum = buffer(nodes + 1, 0)
        lastSucc = buffer(nodes + 1, 0)
        pi = buffer(nodes + 1, 0)
        blockSize = max(10, Int(Double(arcCount).squareRoot()))

        var maxCost: Int64 = 0
        for c in cost where abs(c) > maxCost { maxCost = abs(c) }   // the real arcs' costs
        let artificial = (maxCost + 1) * Int64(nodes + 1)

        thread[root] = 0
        revThread[0] = Int32(root)
        succNum[root] = Int32(nodes + 1)
        lastSucc[root] = Int32(root - 1)
        for u in 0..<nodes {
            let e = arcCount + u
            parent[u] = Int32(root)
            pred[u] = Int32(e)
            thread[u] = Int32(u + 1)
            revThread[u + 1] = Int32(u)
            succNum[u] = 1
            lastSucc[u] = Int32(u)
            self.cap[e] = Self.infinity
            state[e] = 0
            if supply[u] >= 0 {
                predDir[u] = 1
                pi[u] = 0
                self.source[e] = Int32(u); self.target[e] = Int32(root)
                flowStorage[e] = supply[u]
                self.cost[e] = 0
            } else {
                predDir[u] = -1
                pi[u] = artificial
                self.source[e] = Int32(root); self.target[e] = Int32(u)
                flowStorage[e] = -supply[u]
                self.cost[e] = artificial
            }
        }
    }

    deinit {
        for p in [source, target, parent, pred, thread, revThread, succNum, lastSucc] as [UnsafeMutablePointer<Int32>] { p.deallocate() }
        cap.deallocate(); cost.deallocate(); flowStorage.deallocate(); pi.deallocate()
        state.deallocate(); predDir.deallocate()
    }

    /// Flow on each real arc (in input order).
    var flow: [Int] { (0..<arcCount).map { flowStorage[$0] } }

    /// Runs to optimality. Returns false if the problem is unbounded or `shouldStop`
    /// interrupts; check `hasArtificialFlow` for feasibility.
    func run(shouldStop: () -> Bool) -> Bool {
        var pivots = 0
        while findEnteringArc() {
            pivots += 1
            if pivots & 1023 == 0 && shouldStop() { return false }
            findJoinNode()
            let change = findLeavingArc()
            if delta >= Self.infinity { return false }
            changeFlow(change)
            if change {
                updateTreeStructure()
                updatePotential()
            }
        }
        return true
    }

    /// Whether artificial arcs still carry flow (the supplies cannot be met with the real arcs).
    var hasArtificialFlow: Bool {
        for e in arcCount..<(arcCount + nodeCount) where flowStorage[e] != 0 { return true }
        return false
    }

    /// The node potential (dual value) of the final tree: reduced cost = cost + π(source) − π(target).
    func potential(_ v: Int) -> Int64 { pi[v] }

    @inline(__always)
    private func reducedCost(_ e: Int) -> Int64 {
        Int64(state[e]) * (cost[e] + pi[Int(source[e])] - pi[Int(target[e])])
    }

    private func findEnteringArc() -> Bool {
        var minimum: Int64 = 0
        var count = blockSize
        var e = nextArc
        while e < arcCount {
            let c = reducedCost(e)
            if c < minimum { minimum = c; inArc = e }
            count -= 1
            if count == 0 {
                if minimum < 0 { nextArc = e; return true }
                count = blockSize
            }
            e += 1
        }
        e = 0
        while e < nextArc {
            let c = reducedCost(e)
            if c < minimum { minimum = c; inArc = e }
            count -= 1
            if count == 0 {
                if minimum < 0 { nextArc = e; return true }
                count = blockSize
            }
            e += 1
        }
        if minimum >= 0 { return false }
        nextArc = e
        return true
    }

    private func findJoinNode() {
        var u = Int(source[inArc]), v = Int(target[inArc])
        while u != v {
            if succNum[u] < succNum[v] { u = Int(parent[u]) } else { v = Int(parent[v]) }
        }
        join = u
    }

    /// Finds the blocking arc of the cycle; false when the entering arc itself blocks.
    private func findLeavingArc() -> Bool {
        let first: Int, second: Int
        if state[inArc] == 1 { first = Int(source[inArc]); second = Int(target[inArc]) } else { first = Int(target[inArc]); second = Int(source[inArc]) }
        delta = cap[inArc]
        var result = 0
        var u = first
        while u != join {
            let e = Int(pred[u])
            var d = flowStorage[e]
            if predDir[u] == -1 { let c = cap[e]; d = c >= Self.infinity ? Self.infinity : c - d }
            if d < delta { delta = d; uOut = u; result = 1 }
            u = Int(parent[u])
        }
        u = second
        while u != join {
            let e = Int(pred[u])
            var d = flowStorage[e]
            if predDir[u] == 1 { let c = cap[e]; d = c >= Self.infinity ? Self.infinity : c - d }
            if d <= delta { delta = d; uOut = u; result = 2 }
            u = Int(parent[u])
        }
        if result == 1 { uIn = first; vIn = second } else { uIn = second; vIn = first }
        return result != 0
    }

    private func changeFlow(_ change: Bool) {
        if delta > 0 {
            let value = Int(state[inArc]) * delta
            flowStorage[inArc] += value
            var u = Int(source[inArc])
            while u != join { flowStorage[Int(pred[u])] -= Int(predDir[u]) * value; u = Int(parent[u]) }
            u = Int(target[inArc])
            while u != join { flowStorage[Int(pred[u])] += Int(predDir[u]) * value; u = Int(parent[u]) }
        }
        if change {
            state[inArc] = 0
            let out = Int(pred[uOut])
            state[out] = flowStorage[out] == 0 ? 1 : -1
        } else {
            state[inArc] = -state[inArc]
        }
    }

    private func updateTreeStructure() {
        let oldRevThread = Int(revThread[uOut])
        let oldSuccNum = Int(succNum[uOut])
        let oldLastSucc = Int(lastSucc[uOut])
        vOut = Int(parent[uOut])

        if uIn == uOut {
            parent[uIn] = Int32(vIn)
            pred[uIn] = Int32(inArc)
            predDir[uIn] = uIn == Int(source[inArc]) ? 1 : -1
            if Int(thread[vIn]) != uOut {
                var after = Int(thread[oldLastSucc])
                thread[oldRevThread] = Int32(after)
                revThread[after] = Int32(oldRevThread)
                after = Int(thread[vIn])
                thread[vIn] = Int32(uOut)
                revThread[uOut] = Int32(vIn)
                thread[oldLastSucc] = Int32(after)
                revThread[after] = Int32(oldLastSucc)
            }
        } else {
            let threadContinue = oldRevThread == vIn ? Int(thread[oldLastSucc]) : Int(thread[vIn])
            var stem = uIn
            var parStem = vIn
            var last = Int(lastSucc[uIn])
            var after = Int(thread[last])
            thread[vIn] = Int32(uIn)
            dirtyRevs.removeAll(keepingCapacity: true)
            dirtyRevs.append(Int32(vIn))
            while stem != uOut {
                let nextStem = Int(parent[stem])
                thread[last] = Int32(nextStem)
                dirtyRevs.append(Int32(last))
                let before = Int(revThread[stem])
                thread[before] = Int32(after)
                revThread[after] = Int32(before)
                parent[stem] = Int32(parStem)
                parStem = stem
                stem = nextStem
                last = lastSucc[stem] == lastSucc[parStem] ? Int(revThread[parStem]) : Int(lastSucc[stem])
                after = Int(thread[last])
            }
            parent[uOut] = Int32(parStem)
            thread[last] = Int32(threadContinue)
            revThread[threadContinue] = Int32(last)
            lastSucc[uOut] = Int32(last)
            if oldRevThread != vIn {
                thread[oldRevThread] = Int32(after)
                revThread[after] = Int32(oldRevThread)
            }
            for u in dirtyRevs { revThread[Int(thread[Int(u)])] = u }
            var tmpSc = 0
            let tmpLs = lastSucc[uOut]
            var u = uOut
            var p = Int(parent[u])
            while u != uIn {
                pred[u] = pred[p]
                predDir[u] = -predDir[p]
                tmpSc += Int(succNum[u]) - Int(succNum[p])
                succNum[u] = Int32(tmpSc)
                lastSucc[p] = tmpLs
                u = p
                p = Int(parent[u])
            }
            pred[uIn] = Int32(inArc)
            predDir[uIn] = uIn == Int(source[inArc]) ? 1 : -1
            succNum[uIn] = Int32(oldSuccNum)
        }

        let upLimitOut = Int(lastSucc[join]) == vIn ? join : -1
        let lastSuccOut = lastSucc[uOut]
        var u = vIn
        while u != -1 && Int(lastSucc[u]) == vIn { lastSucc[u] = lastSuccOut; u = Int(parent[u]) }
        if join != oldRevThread && vIn != oldRevThread {
            u = vOut
            while u != upLimitOut && Int(lastSucc[u]) == oldLastSucc { lastSucc[u] = Int32(oldRevThread); u = Int(parent[u]) }
        } else if Int(lastSuccOut) != oldLastSucc {
            u = vOut
            while u != upLimitOut && Int(lastSucc[u]) == oldLastSucc { lastSucc[u] = lastSuccOut; u = Int(parent[u]) }
        }
        u = vIn
        while u != join { succNum[u] += Int32(oldSuccNum); u = Int(parent[u]) }
        u = vOut
        while u != join { succNum[u] -= Int32(oldSuccNum); u = Int(parent[u]) }
    }

    private func updatePotential() {
        let sigma = pi[vIn] - pi[uIn] - Int64(predDir[uIn]) * cost[inArc]
        let end = Int(thread[Int(lastSucc[uIn])])
        var u = uIn
        while u != end { pi[u] += sigma; u = Int(thread[u]) }
    }
}
