/// Pool groups in the problem index: the group units no movable allocation holds, per slot.
extension ProblemIndex {
    /// Fills `baseGroupUnits`, `outsideGroupUnits` and `pinnedBatchCost`.
    mutating func indexGroups() {
        let slots = problem.slots
        var poolGroup: [String: Int32] = [:]
        for g in 0..<groups.count { if let code = groups.pool[g] { poolGroup[code] = Int32(g) } }
        for (s, slot) in slots.enumerated() where factoryBatchCost[slot.factory] > 0 {
            for (code, units) in slot.outsidePoolUnits where units > 0 {
                guard let g = poolGroup[code] else { continue }   // no order of the problem can join
                outsideGroupUnits[s].append((g, units))
                baseGroupUnits[s].append((g, units))
            }
        }
        for a in pinned where factoryBatchCost[slots[a.slot].factory] > 0 {
            let g = Int32(groups.groupOfOrder[a.order])
            let before = Self.units(of: g, in: baseGroupUnits[a.slot])
            Self.add(a.units, to: g, in: &baseGroupUnits[a.slot])
            pinnedBatchCost += addedBatchCost(slot: a.slot, from: before, to: before + a.units)
        }
        for (o, order) in problem.orders.enumerated() {
            groupDemand[groups.groupOfOrder[o]] += max(0, order.quantity - pinnedByOrder[o])
        }
        for (s, list) in baseGroupUnits.enumerated() {
            let f = slotFactory[s], size = factoryBatchUnits[f]
            for item in list where size == 0 || item.units % size != 0 { openGroupsOfFactory[f].insert(item.group) }
        }
    }

    /// The bounds' per-unit batch charge, scaled by `k` and rounded down, for order o's units in
    /// factory f where o can make at most `room` units: batch_cost / min(batch_units, room, the
    /// group's remaining demand). Valid because o's group g, holding y ≤ that minimum movable
    /// units in a slot with no open room, adds batch_cost × ⌈y / batch_units⌉ ≥ charge × y, and
    /// the charges of g's orders in a slot sum to charge × y. Zero when a slot of f has room in
    /// an open batch of g (from pinned or outside units): there the first units add nothing.
    func batchCharge(order o: Int, factory f: Int, room: Int, scale k: Int64) -> Int64 {
        let b = factoryBatchCost[f]
        guard b > 0, room > 0 else { return 0 }
        let g = groups.groupOfOrder[o]
        if !openGroupsOfFactory[f].isEmpty && openGroupsOfFactory[f].contains(Int32(g)) { return 0 }
        var most = min(room, max(1, groupDemand[g]))
        if factoryBatchUnits[f] > 0 { most = min(most, factoryBatchUnits[f]) }
        return b * k / Int64(most)
    }

    /// The batch cost of going from `from` to `to` units of one group in slot s.
    @inline(__always)
    func addedBatchCost(slot s: Int, from: Int, to: Int) -> Int64 {
        let f = slotFactory[s]
        let b = factoryBatchCost[f]
        guard b > 0, from != to else { return 0 }
        let size = factoryBatchUnits[f] == 0 ? nil : factoryBatchUnits[f]
        return Int64(Scheduling.batchCount(units: to, batchUnits: size) - Scheduling.batchCount(units: from, batchUnits: size)) * b
    }

    @inline(__always)
    static func units(of g: Int32, in list: [(group: Int32, units: Int)]) -> Int {
        for item in list where item.group == g { return item.units }
        return 0
    }

    /// Adds `units` (may be negative) to group g in a slot's list, dropping entries at 0.
    @inline(__always)
    static func add(_ units: Int, to g: Int32, in list: inout [(group: Int32, units: Int)]) {
        if let i = list.firstIndex(where: { $0.group == g }) {
            list[i].units += units
            if list[i].units == 0 { list.swapAt(i, list.count - 1); list.removeLast() }
        } else if units != 0 {
            list.append((g, units))
        }
    }
}
