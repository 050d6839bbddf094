import Testing
@testable import WeftCore

/// A small hand-built world: two factories, three days, two orders.
///
/// f0 (CN-GD, ISO9001, lead 1, setup 100): s0 day 0 (10 units @ 5), s1 day 1 (10 @ 6), s2 day 2 (10 @ 7)
/// f1 (VN-SG, no certs, lead 0, setup 50): s3 day 0 (5 @ 4), s4 day 1 (5 @ 4)
/// o0: 12 units due day 3, priority 2, min lot 3, max factories 2
/// o1: 4 units due day 1, priority 5
func worldProblem() -> Scheduling.Problem {
    let d = { (n: Int32) in Day(ordinal: 20_000 + n) }
    let factories = [
        Scheduling.Factory(id: "f0", region: "CN-GD", certifications: ["ISO9001"], leadDays: 1, setupCost: 100),
        Scheduling.Factory(id: "f1", region: "VN-SG", leadDays: 0, setupCost: 50),
    ]
    let slots = [
        Scheduling.Slot(id: "s0", factory: 0, day: d(0), units: 10, unitCost: 5),
        Scheduling.Slot(id: "s1", factory: 0, day: d(1), units: 10, unitCost: 6),
        Scheduling.Slot(id: "s2", factory: 0, day: d(2), units: 10, unitCost: 7),
        Scheduling.Slot(id: "s3", factory: 1, day: d(0), units: 5, unitCost: 4),
        Scheduling.Slot(id: "s4", factory: 1, day: d(1), units: 5, unitCost: 4),
    ]
    let orders = [
        Scheduling.Order(id: "o0", quantity: 12, dueDate: d(3), releaseDate: d(0), minLot: 3, maxFactories: 2, priority: 2),
        Scheduling.Order(id: "o1", quantity: 4, dueDate: d(1), releaseDate: d(0), priority: 5),
    ]
    return Scheduling.Problem(capability: "cnc.milling", asOf: d(0), factories: factories, slots: slots, orders: orders)
}

private typealias A = Scheduling.Allocation

@Suite("Verifier")
struct VerifierTests {
    @Test("scores a worked example: units × cost + one setup per (order, factory), priority × missing")
    func workedExample() {
        let p = worldProblem()
        // o0: 8 in s0 (f0) + 3 in s3 (f1) = 11 of 12; o1: 4 in s4 (f1).
        let plan = [A(order: 0, slot: 0, units: 8), A(order: 0, slot: 3, units: 3), A(order: 1, slot: 4, units: 4)]
        let v = Scheduling.verify(p, plan: plan)
        #expect(v.violations.isEmpty)
        // cost = 8·5 + 100 + 3·4 + 50 + 4·4 + 50 = 40 + 100 + 12 + 50 + 16 + 50 = 268; unserved = 2 × 1.
        #expect(v.score == Scheduling.Score(hard: 0, unserved: 2, cost: 268))
        // The empty plan: nothing served, nothing paid.
        #expect(Scheduling.score(p, plan: []) == Scheduling.Score(hard: 0, unserved: 2 * 12 + 5 * 4, cost: 0))
    }

    @Test("scores compare lexicographically and encode as hard/unserved/cost")
    func scoreOrder() throws {
        typealias S = Scheduling.Score
        #expect(S(hard: 0, unserved: 9, cost: 9) < S(hard: 1, unserved: 0, cost: 0))
        #expect(S(hard: 0, unserved: 1, cost: 999) < S(hard: 0, unserved: 2, cost: 0))
        #expect(S(hard: 0, unserved: 1, cost: 5) < S(hard: 0, unserved: 1, cost: 6))
        let b = Scheduling.Bound(unserved: 1, cost: 5)
        #expect(b.isBelowOrEqual(S(hard: 0, unserved: 1, cost: 5)))
        #expect(!b.isBelowOrEqual(S(hard: 0, unserved: 0, cost: 100)))
    }

    @Test("capacity: more units in a slot than it has")
    func capacity() {
        let p = worldProblem()
        let v = Scheduling.verify(p, plan: [A(order: 0, slot: 3, units: 4), A(order: 1, slot: 3, units: 3)])
        #expect(v.violations.contains(.capacity(slot: 3, allocated: 7, units: 5)))
        #expect(v.score.hard == v.violations.count)
    }

    @Test("quantity: more units than ordered")
    func quantity() {
        let p = worldProblem()
        let v = Scheduling.verify(p, plan: [A(order: 1, slot: 3, units: 5)])
        #expect(v.violations == [.quantity(order: 1, allocated: 5, quantity: 4)])
        #expect(v.score.unserved == 2 * 12)   // over-served orders count as fully served
    }

    @Test("minimum lot: a used factory makes fewer than min_lot")
    func minimumLot() {
        let p = worldProblem()
        // 2 units in f1 (s3 + nothing else) is below o0's min lot of 3; f0 with 2 + 1 = 3 is fine.
        let v = Scheduling.verify(p, plan: [A(order: 0, slot: 0, units: 2), A(order: 0, slot: 1, units: 1), A(order: 0, slot: 3, units: 2)])
        #expect(v.violations == [.minimumLot(order: 0, factory: 1, units: 2, minLot: 3)])
    }

    @Test("split limit: more factories than max_factories")
    func splitLimit() {
        var p = worldProblem()
        p.orders[1].maxFactories = 1
        p.orders[1].dueDate = p.orders[0].dueDate
        let v = Scheduling.verify(p, plan: [A(order: 1, slot: 0, units: 2), A(order: 1, slot: 3, units: 2)])
        #expect(v.violations == [.splitLimit(order: 1, factories: 2, maxFactories: 1)])
    }

    @Test("ineligible pair: unpinned units outside the order's window; pinned ones are history")
    func ineligible() {
        let p = worldProblem()
        // o1 is due on day 1; f0 has lead 1, so f0's day-1 slot s1 is too late.
        let v = Scheduling.verify(p, plan: [A(order: 1, slot: 1, units: 4)])
        #expect(v.violations == [.ineligible(order: 1, slot: 1)])
        let pinned = Scheduling.verify(p, plan: [A(order: 1, slot: 1, units: 4, pinned: true)])
        #expect(pinned.violations.isEmpty)
    }

    @Test("invalid allocation: unknown order or slot, or no units")
    func invalidAllocation() {
        let p = worldProblem()
        let v = Scheduling.verify(p, plan: [A(order: 7, slot: 0, units: 1), A(order: 0, slot: 99, units: 1), A(order: 0, slot: 0, units: 0)])
        #expect(v.violations == [.invalidAllocation(index: 0), .invalidAllocation(index: 1), .invalidAllocation(index: 2)])
    }

    @Test("stability: an order may not end with fewer units than it had")
    func stability() {
        let p = worldProblem()
        let start = [A(order: 0, slot: 0, units: 10)]
        let v = Scheduling.verify(p, plan: [A(order: 0, slot: 1, units: 9)], start: start)
        #expect(v.violations == [.stability(order: 0, before: 10, after: 9)])
        // Moving them is fine.
        #expect(Scheduling.verify(p, plan: [A(order: 0, slot: 1, units: 10)], start: start).violations.isEmpty)
        // Units that became ineligible do not bind: o1 in s1 (too late) counts for nothing.
        #expect(Scheduling.stabilityFloor(p, start: [A(order: 1, slot: 1, units: 4)]) == [0, 0])
    }

    @Test("pinning: pinned units must stay exactly where they are")
    func pinned() {
        let p = worldProblem()
        let start = [A(order: 0, slot: 0, units: 5, pinned: true), A(order: 0, slot: 1, units: 5)]
        let moved = Scheduling.verify(p, plan: [A(order: 0, slot: 1, units: 10)], start: start)
        #expect(moved.violations == [.pinnedChanged(order: 0, slot: 0, before: 5, after: 0)])
        let unpinnedCopy = Scheduling.verify(p, plan: [A(order: 0, slot: 0, units: 5), A(order: 0, slot: 1, units: 5)], start: start)
        #expect(unpinnedCopy.violations == [.pinnedChanged(order: 0, slot: 0, before: 5, after: 0)])
        let kept = Scheduling.verify(p, plan: start, start: start)
        #expect(kept.violations.isEmpty)
    }

    @Test("diff lists changed unpinned units")
    func diff() {
        let before = [A(order: 0, slot: 0, units: 5, pinned: true), A(order: 0, slot: 1, units: 5), A(order: 1, slot: 3, units: 2)]
        let after = [A(order: 0, slot: 0, units: 5, pinned: true), A(order: 0, slot: 1, units: 3), A(order: 0, slot: 2, units: 2), A(order: 1, slot: 3, units: 2)]
        #expect(Scheduling.diff(from: before, to: after) == [
            .init(order: 0, slot: 1, before: 5, after: 3), .init(order: 0, slot: 2, before: 0, after: 2),
        ])
    }
}
