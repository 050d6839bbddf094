/// Order pooling: batches, their cost, and how a plan's batch cost is split among its orders.
///
/// In a slot, the units of one **pool group** (all orders of one pool, or one order without a
/// pool) are made in ⌈units / batch_units⌉ batches (one when batch_units is unlimited, none at
/// 0 units), each costing the factory's `batch_cost`. This file is the one home of that rule.
extension Scheduling {
    /// Batches needed for `units` units of one pool group in one slot: ⌈units / batchUnits⌉,
    /// 1 when `batchUnits` is nil (unlimited) and units > 0, 0 when units ≤ 0.
    @inline(__always)
    public static func batchCount(units: Int, batchUnits: Int?) -> Int {
        guard units > 0 else { return 0 }
        guard let size = batchUnits else { return 1 }
        let b = max(1, size)
        return (units + b - 1) / b
    }

    /// What the batches of `units` units of one pool group cost in a slot of `factory`.
    @inline(__always)
    public static func batchCost(units: Int, factory: Factory) -> Int64 {
        factory.batchCost == 0 ? 0 : Int64(batchCount(units: units, batchUnits: factory.batchUnits)) * factory.batchCost
    }

    /// The batch cost that `inside` units of a pool group add to a slot of `factory` which
    /// already holds `outside` units of the same group from orders outside the problem:
    /// cost(outside + inside) − cost(outside). This is what the score charges a problem for a
    /// (slot, group): over a problem holding every order there are no outside units and it is
    /// the contract's term exactly; over a part of the network it is what that part adds.
    @inline(__always)
    public static func addedBatchCost(inside: Int, outside: Int, factory: Factory) -> Int64 {
        guard factory.batchCost != 0, inside > 0 else { return 0 }
        return batchCost(units: outside + inside, factory: factory) - batchCost(units: outside, factory: factory)
    }

    /// The pool groups of a problem's orders: groups `0..<pools.count` are the pools (in order of
    /// first appearance), every order without a pool is a group of its own after them.
    public struct PoolGroups: Sendable {
        /// Per order, its group index.
        public var groupOfOrder: [Int]
        /// Per group, its pool code (nil for an order-alone group).
        public var pool: [String?]
        /// Per group, its orders in ascending index.
        public var members: [[Int]]

        public init(_ orders: [Order]) {
            var index: [String: Int] = [:]
            var groupOfOrder = [Int](repeating: -1, count: orders.count)
            var pool: [String?] = []
            var members: [[Int]] = []
            for (o, order) in orders.enumerated() {
                guard let code = order.pool else { continue }
                if let g = index[code] {
                    groupOfOrder[o] = g
                    members[g].append(o)
                } else {
                    index[code] = pool.count
                    groupOfOrder[o] = pool.count
                    pool.append(code)
                    members.append([o])
                }
            }
            for o in orders.indices where groupOfOrder[o] < 0 {
                groupOfOrder[o] = pool.count
                pool.append(nil)
                members.append([o])
            }
            self.groupOfOrder = groupOfOrder
            self.pool = pool
            self.members = members
        }

        /// Number of groups.
        public var count: Int { pool.count }

        /// Whether order `o`'s group has other orders (an order without a pool is a group alone).
        @inline(__always)
        public func sharesGroup(order o: Int) -> Bool { members[groupOfOrder[o]].count > 1 }

        /// Units of group `group` already in `slot` from orders outside the problem.
        @inline(__always)
        public func outsideUnits(group: Int, slot: Slot) -> Int {
            guard let code = pool[group], !slot.outsidePoolUnits.isEmpty else { return 0 }
            return slot.outsidePoolUnits[code] ?? 0
        }
    }

    struct SlotGroup: Hashable { var slot: Int; var group: Int }

    /// Units per (slot, pool group) of a plan; allocations naming no valid order or slot, or
    /// holding no units, are skipped.
    static func groupUnits(_ problem: Problem, plan: [Allocation], groups: PoolGroups) -> [SlotGroup: Int] {
        var y: [SlotGroup: Int] = [:]
        for a in plan where a.order >= 0 && a.order < problem.orders.count && a.slot >= 0
            && a.slot < problem.slots.count && a.units > 0 {
            guard problem.factories[problem.slots[a.slot].factory].batchCost != 0 else { continue }
            y[SlotGroup(slot: a.slot, group: groups.groupOfOrder[a.order]), default: 0] += a.units
        }
        return y
    }

    /// The batch-cost part of a plan's score: Σ over (slot, group) of
    /// ``addedBatchCost(inside:outside:factory:)``. Pinned units count like any other.
    public static func planBatchCost(_ problem: Problem, plan: [Allocation]) -> Int64 {
        let groups = PoolGroups(problem.orders)
        var total: Int64 = 0
        for (key, units) in groupUnits(problem, plan: plan, groups: groups) {
            let slot = problem.slots[key.slot]
            total += addedBatchCost(inside: units, outside: groups.outsideUnits(group: key.group, slot: slot),
                                    factory: problem.factories[slot.factory])
        }
        return total
    }

    /// Splits `cost` among members holding `units` (each ≥ 0, at least one > 0) in proportion to
    /// units, in whole minor units: each member gets ⌊cost × units / total⌋ and what is left
    /// (less than the number of members) goes to the member with the most units, the earliest
    /// on a tie. The shares sum to `cost` exactly. This is the one home of the rounding rule.
    public static func batchShares(cost: Int64, units: [Int]) -> [Int64] {
        let total = units.reduce(0) { $0 + max(0, $1) }
        guard total > 0 else { return units.map { _ in 0 } }
        var shares = [Int64](repeating: 0, count: units.count)
        var given: Int64 = 0, largest = 0
        for (i, u) in units.enumerated() {
            let part = max(0, u)
            let product = cost.multipliedFullWidth(by: Int64(part))
            shares[i] = Int64(total).dividingFullWidth(product).quotient
            given += shares[i]
            if part > max(0, units[largest]) { largest = i }
        }
        shares[largest] += cost - given
        return shares
    }

    /// What one order is charged in a plan, in minor units (the contract's "an order's own cost").
    public struct OrderCost: Sendable, Hashable, Codable {
        /// Σ units × the slot's unit cost.
        public var units: Int64
        /// The setup cost of every factory the order uses.
        public var setup: Int64
        /// Its share of every batch it is in (see ``Scheduling/orderCosts(_:plan:)``).
        public var batch: Int64
        /// units + setup + batch.
        public var total: Int64 { units + setup + batch }

        public init(units: Int64 = 0, setup: Int64 = 0, batch: Int64 = 0) {
            self.units = units
            self.setup = setup
            self.batch = batch
        }
    }

    /// Each order's own cost in `plan`: its units × unit costs, the setup of every factory it
    /// uses, and its share of each (slot, pool group) batch cost it is in, split in proportion
    /// to units by ``batchShares(cost:units:)`` over the group's orders in ascending order index.
    ///
    /// A (slot, group) with units of orders outside the problem (`Slot.outsidePoolUnits`) is
    /// charged its whole batch cost, cost(outside + inside), and the outside units take part in
    /// the split as one more member listed last; their share is simply not returned. For figures
    /// identical to a computation over the whole network, put every order of the batch in the
    /// problem (or call ``batchShares(cost:units:)`` with all of them). Allocations that name no
    /// valid order or slot are ignored. Indexed like `problem.orders`.
    public static func orderCosts(_ problem: Problem, plan: [Allocation]) -> [OrderCost] {
        var costs = [OrderCost](repeating: OrderCost(), count: problem.orders.count)
        let groups = PoolGroups(problem.orders)
        var usedFactories = Set<SIMD2<Int>>()   // (order, factory)
        var perOrderSlot: [OrderSlot: Int] = [:]
        for a in plan where a.order >= 0 && a.order < problem.orders.count && a.slot >= 0
            && a.slot < problem.slots.count && a.units > 0 {
            let slot = problem.slots[a.slot]
            costs[a.order].units += Int64(a.units) * slot.unitCost
            if usedFactories.insert(SIMD2(a.order, slot.factory)).inserted {
                costs[a.order].setup += problem.factories[slot.factory].setupCost
            }
            if problem.factories[slot.factory].batchCost != 0 {
                perOrderSlot[OrderSlot(order: a.order, slot: a.slot), default: 0] += a.units
            }
        }
        // Members of each (slot, group) in ascending order index.
        var members: [SlotGroup: [(order: Int, units: Int)]] = [:]
        for key in perOrderSlot.keys.sorted(by: { ($0.slot, $0.order) < ($1.slot, $1.order) }) {
            members[SlotGroup(slot: key.slot, group: groups.groupOfOrder[key.order]), default: []]
                .append((key.order, perOrderSlot[key]!))
        }
        for (key, list) in members {
            let slot = problem.slots[key.slot]
            let outside = groups.outsideUnits(group: key.group, slot: slot)
            let inside = list.reduce(0) { $0 + $1.units }
            let cost = batchCost(units: outside + inside, factory: problem.factories[slot.factory])
            let shares = batchShares(cost: cost, units: list.map(\.units) + (outside > 0 ? [outside] : []))
            for (i, member) in list.enumerated() { costs[member.order].batch += shares[i] }
        }
        return costs
    }
}
